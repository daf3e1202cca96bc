export * from './types';
export { nodeStatus, DEFAULT_NODE_TIMEOUT_MS, DEFAULT_NODE_TIMEOUT_WITH_SESSIONS_MS, type NodeStatusOptions, type StatusDeps } from './node-status';
export { statusOfNodes, type StatusOfNodesOptions } from './many';
export { anomaliesOf, formatBytes, DISK_ALMOST_FULL_PCT } from './anomalies';
export { DEFAULT_CONTEXT_THRESHOLD_PCT, sessionUsages, parseSessionsJson, parseSessionsCliJson } from './sessions';
export { probeGateway, parseReadyz, parseStartupz, parseHttpResponse } from './gateway-probe';
export { buildHostFactsScript, parseHostFacts } from './host-facts';
export * from './format';
