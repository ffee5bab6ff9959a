export {
  compileDialPattern,
  compileMatch,
  createDialPlan,
  DialPlan,
  type DialRoute,
  type RouteMatch,
  type RouteResult,
  type RouteSource,
  type RouteTarget,
} from './dial-plan.js';
