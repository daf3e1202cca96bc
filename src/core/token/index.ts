/** Gateway token rotation: plan (every place that carries the token, on every node) → apply → verify → rollback. */
export { maskToken, scrubTokens } from './mask';
export { configTokens, envFileToken, unitFileTokens, parseGatewayUrl, TOKEN_ENV, type ConfigTokens } from './places';
export { probeGatewayToken, waitForTokenVerdict, type TokenProbe, type TokenVerdict } from './auth-probe';
export {
  planTokenRotation,
  maskedDiff,
  pointsAt,
  generateToken,
  type TokenRotationPlan,
  type TokenPlace,
  type Dependant,
  type RotationNode,
  type RotationNotice,
  type PlanTokenRotationParams,
} from './rotate-plan';
export { applyTokenRotation, type ApplyTokenRotationParams, type TokenRotationResult } from './rotate-apply';
export { prepareTokenRotation, type PrepareRotationParams, type PreparedRotation } from './prepare';
export { rotationStepText, rotationNoticeText } from './text';
