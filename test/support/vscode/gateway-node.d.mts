export function freePort(): Promise<number>;
export interface GatewayNode {
  stateDir: string;
  port: number;
  entry: { id: string; host: string; stateDir: string; openclawPath: string; labels: string[] };
  start(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  killNow(): void;
}
export function createGatewayNode(root: string, spec: { id: string; port: number; labels?: string[] }, installJson?: string): Promise<GatewayNode>;
export function gatewayNode(
  root: string,
  spec: { id: string; port: number; labels?: string[] },
  installJson?: string,
): GatewayNode;
