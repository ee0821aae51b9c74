import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, MikroOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator.js';
import { SkipRateLimit } from '../rate-limit/skip-rate-limit.decorator.js';
import { ShutdownState } from './shutdown-state.js';

@ApiTags('health')
@Public()
@SkipRateLimit()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: MikroOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('live')
  @ApiOperation({
    summary: 'Liveness: the process is up (never touches the database)',
    description:
      'For orchestrators: 200 while the process can answer HTTP at all. Public, exempt from the rate limit, and never touches the database, so a database outage does not get the instance restarted.',
  })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'] } })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the database answers and the instance is not shutting down (503 otherwise)',
    description:
      'For load balancers: 200 when the database answers a ping within 1.5 s, else 503 so traffic goes to other instances; 503 from the moment SIGTERM arrives, while the instance drains. Public and exempt from the rate limit.',
  })
  ready() {
    return this.health.check([
      () => this.notShuttingDown(),
      () => this.database.pingCheck('database', { timeout: 1_500 }),
    ]);
  }

  /** Down from the moment SIGTERM arrives, while requests are still served (main.ts drains). */
  private notShuttingDown() {
    const indicator = this.indicators.check('shutdown');
    return this.shutdown.draining ? indicator.down({ message: 'shutting down: draining' }) : indicator.up();
  }
}
