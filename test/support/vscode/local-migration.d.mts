export function openclawWrapper(root: string, installJson?: string): string;
export function localMigrationNodes(
  root: string,
  fixturesDir: string,
  installJson?: string,
): {
  wrapper: string;
  sourceStateDir: string;
  targetStateDir: string;
  nodes: Array<{ id: string; host: string; stateDir: string; openclawPath: string; labels: string[] }>;
};
