import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ChangesModule } from '../changes/changes.module.js';
import { WebhookAttempt } from './webhook-attempt.entity.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookMessage } from './webhook-message.entity.js';
import { WebhookOutbox } from './webhook-outbox.js';
import { Webhook } from './webhook.entity.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Webhooks: subscriptions, the outbox written with each change, and its delivery in every instance. */
@Module({
  imports: [MikroOrmModule.forFeature([Webhook, WebhookMessage, WebhookAttempt]), ChangesModule],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookOutbox, WebhookDispatcher],
})
export class WebhooksModule {}
