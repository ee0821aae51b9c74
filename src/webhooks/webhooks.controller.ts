import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type RequestActor } from '../common/actor.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { PageCursorField, PageLimitField } from '../common/page-query-fields.js';
import { UuidParam } from '../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import {
  CreateWebhookDto,
  UpdateWebhookDto,
  WebhookDeliveryPageResponse,
  WebhookListResponse,
  WebhookResponse,
  WebhookSecretResponse,
  WebhookWithSecretResponse,
} from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

const DEFAULT_DELIVERIES_PAGE = 20;

export class ListDeliveriesQuery {
  @PageLimitField(DEFAULT_DELIVERIES_PAGE)
  limit?: number;

  @PageCursorField('nextCursor of the previous page')
  cursor?: string;
}

@ApiTags('webhooks')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Subscribe a URL to events',
    description:
      'Each change of the chosen kinds is POSTed to the URL, signed as the Standard Webhooks specification says (`webhook-id`, the same on every retry; `webhook-timestamp`; `webhook-signature`, HMAC-SHA256 with the secret answered here, once). ' +
      'The body: `{type, timestamp, data}`, `data` being the change as GET /changes gives it. A non-2xx answer or no answer within 10 s is retried on WEBHOOK_RETRY_SCHEDULE; a webhook failing for the whole schedule is disabled. ' +
      'Redirects are not followed; addresses that are loopback, private, link-local or metadata are refused. At most 10 webhooks per user.',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretResponse })
  @ApiProblems(400, 401, 403)
  create(@CurrentActor() caller: RequestActor, @Body() body: CreateWebhookDto): Promise<WebhookWithSecretResponse> {
    return this.webhooks.create(caller, body);
  }

  @Get()
  @ApiOperation({ summary: "The caller's webhooks", description: 'All of them (at most MAX_WEBHOOKS_PER_USER, 10 by default), oldest first, without their secrets.' })
  @ApiOkResponse({ type: WebhookListResponse })
  @ApiProblems(401)
  async list(@CurrentUser() caller: AuthenticatedUser): Promise<WebhookListResponse> {
    return { items: await this.webhooks.list(caller.userId) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook', description: "Without its secret. Another user's webhook answers 404, like an unknown one." })
  @ApiOkResponse({ type: WebhookResponse })
  @ApiProblems(401, 404)
  get(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string): Promise<WebhookResponse> {
    return this.webhooks.get(caller.userId, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a webhook', description: 'The URL (checked as at creation), the events, or `active`: true turns a webhook the server disabled back on and clears `disabledReason`.' })
  @ApiOkResponse({ type: WebhookResponse })
  @ApiProblems(400, 401, 404)
  update(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string, @Body() body: UpdateWebhookDto): Promise<WebhookResponse> {
    return this.webhooks.update(caller.userId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook', description: 'Its undelivered messages and its delivery log go with it.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(401, 404)
  async remove(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string): Promise<void> {
    await this.webhooks.remove(caller.userId, id);
  }

  @Post(':id/secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the signing secret', description: 'Answers the new secret once. For 24 hours every delivery carries two signatures, one with each secret.' })
  @ApiOkResponse({ type: WebhookSecretResponse })
  @ApiProblems(401, 404)
  async rotateSecret(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string): Promise<WebhookSecretResponse> {
    return { secret: await this.webhooks.rotateSecret(caller.userId, id) };
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Delivery attempts, newest first', description: 'Each attempt: when, the status the receiver answered (null if none), how long it took, and the error.' })
  @ApiOkResponse({ type: WebhookDeliveryPageResponse })
  @ApiProblems(400, 401, 404)
  deliveries(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string, @Query() query: ListDeliveriesQuery): Promise<WebhookDeliveryPageResponse> {
    return this.webhooks.deliveries(caller.userId, id, query.limit ?? DEFAULT_DELIVERIES_PAGE, query.cursor);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Deliver a message again', description: "Queues the attempt's message for delivery now, with the same `webhook-id`, whatever its state (delivered, failed or pending)." })
  @ApiAcceptedResponse({ description: 'Queued' })
  @ApiProblems(401, 404)
  async redeliver(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string, @Param('deliveryId') deliveryId: string): Promise<void> {
    await this.webhooks.redeliver(caller.userId, id, deliveryId);
  }
}
