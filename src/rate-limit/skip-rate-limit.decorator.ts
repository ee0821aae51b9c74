import { SetMetadata } from '@nestjs/common';

export const SKIP_RATE_LIMIT = 'skipRateLimit';

/** For probes (load-balancer health checks) that must never be throttled. */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT, true);
