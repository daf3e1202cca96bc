/** Session care (issue 17): reading through the gateway, actions with a pre-capture, prediction, auto-compaction. */
export * from './actions';
export * from './auto-compact';
export * from './gateway-access';
export { connectGatewayRpc, GatewayRpcError, type GatewayRpc } from './gateway-rpc';
export * from './list';
export * from './predict';
export * from './samples';
