import { SetMetadata } from '@nestjs/common';
import type { PolicyRoute } from './request-policy';

export const POLICY_ROUTE = 'GATEWAY:POLICY_ROUTE';

/** Which route's request policy applies to a handler (see RequestPolicyGuard). */
export const PolicyRouteOf = (route: PolicyRoute) => SetMetadata(POLICY_ROUTE, route);
