import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Patch, Post, Query, Res } from '@nestjs/common';
import { ActivityService } from '../activity/activity.service.js';
import { ActivityPageResponse } from '../activity/dto/activity-response.dto.js';
import { DEFAULT_ACTIVITY_PAGE_SIZE, EntityActivityQuery } from '../activity/dto/list-activity.query.js';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { CurrentActor, type RequestActor } from '../common/actor.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { RequestHeader } from '../common/request-header.decorator.js';
import { UuidParam } from '../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import { CreateTaskDto } from './dto/create-task.dto.js';
import { MoveTaskDto } from './dto/move-task.dto.js';
import { ToggleTaskQuery } from './dto/recurrence.dto.js';
import { ListTasksQuery, TaskStatsQuery } from './dto/list-tasks.query.js';
import { TaskPageResponse, TaskResponse, TaskStatsResponse } from './dto/task-response.dto.js';
import { MAX_BATCH_OPERATIONS, TaskBatchDto, TaskBatchQuery, TaskBatchResponse } from './dto/task-batch.dto.js';
import { UpdateTaskDto } from './dto/update-task.dto.js';
import { TaskBatchService } from './task-batch.service.js';
import { ifNoneMatchSatisfied, taskEtag } from './task-etag.js';
import { TasksService } from './tasks.service.js';
import { TrashService } from './trash.service.js';

const ETAG_HEADER = { ETag: { description: 'Strong validator of this task version', schema: { type: 'string' } } };
const IF_MATCH = {
  name: 'If-Match',
  required: false,
  description: 'ETag from a previous read: the write happens only if the task is unchanged (else 412)',
};

/** Sends one task with its ETag: every single-task response carries one. */
function withEtag(reply: FastifyReply, task: TaskResponse): TaskResponse {
  void reply.header('ETag', taskEtag(task));
  return task;
}

@ApiTags('tasks')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly trash: TrashService,
    private readonly batches: TaskBatchService,
    private readonly activityLog: ActivityService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a task',
    description:
      'Creates a task owned by the caller; categoryId must name one of the caller\'s own categories (400 otherwise). Answers the task with its ETag and a Location header.',
  })
  @ApiCreatedResponse({ type: TaskResponse, headers: { ...ETAG_HEADER, Location: { description: 'URL of the new task', schema: { type: 'string' } } } })
  @ApiProblems(400, 401, 403, 413, 415)
  async create(
    @CurrentActor() caller: RequestActor,
    @Body() body: CreateTaskDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskResponse> {
    const task = await this.tasks.create(caller, body);
    void reply.header('Location', `/api/v1/tasks/${task.id}`);
    return withEtag(reply, task);
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Several task writes in one request',
    description:
      `Up to ${MAX_BATCH_OPERATIONS} operations (create, update, toggle, delete, restore), each checked and recorded as its single-task route, in order. ` +
      'A later operation can name a task an earlier create made with `ref` instead of `id`. ' +
      'By default each operation stands alone: the answer is 200 with one result per operation (`status` and the task, or a `problem`). ' +
      'With `atomic=true` all or nothing: the first failure rolls every operation back and answers with its status and problem, naming `operations[i]`. ' +
      'The body is limited to 100 KiB like any other; every create counts against the task quota; the batch counts as one request for the rate limit.',
  })
  @ApiOkResponse({ type: TaskBatchResponse })
  @ApiProblems(400, 401, 403, 404, 409, 412, 413, 415)
  async batch(@CurrentActor() caller: RequestActor, @Body() body: TaskBatchDto, @Query() query: TaskBatchQuery): Promise<TaskBatchResponse> {
    return { results: await this.batches.run(caller, body.operations, query.atomic ?? false) };
  }

  @Get()
  @ApiOperation({
    summary: "List the caller's tasks: filters, sort and keyset pagination",
    description:
      'Filters combine with AND; `status` and `priority` take several values, comma-separated or repeated. Pages are keyset-paginated: pass `nextCursor` back as `cursor` with the same filters and sort until it is null.',
  })
  @ApiOkResponse({ type: TaskPageResponse })
  @ApiProblems(400, 401)
  list(@CurrentUser() caller: AuthenticatedUser, @Query() query: ListTasksQuery): Promise<TaskPageResponse> {
    return this.tasks.list(caller.userId, query);
  }

  @Get('stats')
  @ApiOperation({
    summary: "Counts over the caller's tasks; 'today' in the given time zone",
    description:
      'Totals by status and priority, plus overdue, due-today and completed-in-the-last-7-days counts; `tz` (an IANA zone, UTC by default) decides where today begins and ends.',
  })
  @ApiOkResponse({ type: TaskStatsResponse })
  @ApiProblems(400, 401)
  stats(@CurrentUser() caller: AuthenticatedUser, @Query() query: TaskStatsQuery): Promise<TaskStatsResponse> {
    return this.tasks.stats(caller.userId, query.tz, query.scope);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One task; 304 when If-None-Match still matches',
    description:
      'One of the caller\'s tasks with its ETag. With If-None-Match naming the current ETag it answers 304 without a body. Another user\'s id answers 404, like an unknown one.',
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'ETag from a previous read' })
  @ApiOkResponse({ type: TaskResponse, headers: ETAG_HEADER })
  @ApiNotModifiedResponse({ description: 'Unchanged since the ETag given', headers: ETAG_HEADER })
  @ApiProblems(400, 401, 404)
  async get(
    @CurrentUser() caller: AuthenticatedUser,
    @UuidParam() id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestHeader('if-none-match') ifNoneMatch?: string,
  ): Promise<TaskResponse | undefined> {
    const task = await this.tasks.get(caller.userId, id);
    if (ifNoneMatch && ifNoneMatchSatisfied(ifNoneMatch, taskEtag(task))) {
      void reply.status(304).header('ETag', taskEtag(task));
      return undefined;
    }
    return withEtag(reply, task);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change any subset of the fields; null clears description, dueDate or categoryId',
    description:
      'Partial update. With If-Match, the write happens only if the task still has that ETag (412 otherwise, nothing changed). Completing a task sets completedAt; leaving completed clears it.',
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TaskResponse, headers: ETAG_HEADER })
  @ApiProblems(400, 401, 403, 404, 412, 415)
  async update(
    @CurrentActor() caller: RequestActor,
    @UuidParam() id: string,
    @Body() body: UpdateTaskDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestHeader('if-match') ifMatch?: string,
  ): Promise<TaskResponse> {
    return withEtag(reply, await this.tasks.update(caller, id, body, ifMatch));
  }

  @Post(':id/toggle')
  @HttpCode(200)
  @ApiOperation({
    summary: 'completed -> pending, anything else -> completed',
    description:
      'Flips completion in one step, setting or clearing completedAt. A recurring task is not left completed: the occurrence is recorded ' +
      '(GET /tasks/{id}/occurrences, and in activity as `changes.occurrence`), dueDate moves to the next occurrence and the task is pending again; ' +
      "past the rule's end it stays completed. `skipMissed=true` moves it to the first occurrence after now. If-Match makes it conditional, as for PATCH.",
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TaskResponse, headers: ETAG_HEADER })
  @ApiProblems(400, 401, 403, 404, 412)
  async toggle(
    @CurrentActor() caller: RequestActor,
    @UuidParam() id: string,
    @Query() query: ToggleTaskQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestHeader('if-match') ifMatch?: string,
  ): Promise<TaskResponse> {
    return withEtag(reply, await this.tasks.toggle(caller, id, ifMatch, query.skipMissed));
  }

  @Post(':id/move')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Place a task elsewhere in its list (drag and drop)',
    description:
      "Puts the task right after `after`, right before `before`, or between the two (both live tasks of the task's list: its category, or the owner's tasks in no category). Only the moved task is written: it gets a new `position` key between its neighbours', a new version and a `move` activity entry; list with `sort=position` to read the order. A concurrent move that takes the same place first makes this one retry on fresh neighbours. If-Match makes it conditional, as for PATCH.",
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TaskResponse, headers: ETAG_HEADER })
  @ApiProblems(400, 401, 403, 404, 409, 412, 413, 415)
  async move(
    @CurrentActor() caller: RequestActor,
    @UuidParam() id: string,
    @Body() body: MoveTaskDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestHeader('if-match') ifMatch?: string,
  ): Promise<TaskResponse> {
    return withEtag(reply, await this.tasks.move(caller, id, body, ifMatch));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Move a task to the trash',
    description:
      'The task leaves every read, list, count and stats; GET /trash lists it and POST /tasks/{id}/restore brings it back until TRASH_RETENTION (30 days by default) purges it. With If-Match only if it still has that ETag (412 otherwise).',
  })
  @ApiHeader(IF_MATCH)
  @ApiNoContentResponse({ description: 'In the trash' })
  @ApiProblems(400, 401, 403, 404, 412)
  async remove(
    @CurrentActor() caller: RequestActor,
    @UuidParam() id: string,
    @RequestHeader('if-match') ifMatch?: string,
  ): Promise<void> {
    await this.tasks.moveToTrash(caller, id, ifMatch);
  }

  @Post(':id/restore')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Bring a task back from the trash',
    description:
      "Restores a task from the caller's trash with its fields and a new version (ETag); 404 unless it is in the caller's trash. If-Match (the ETag the trash listed) makes it conditional.",
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TaskResponse, headers: ETAG_HEADER })
  @ApiProblems(400, 401, 403, 404, 412)
  async restore(
    @CurrentActor() caller: RequestActor,
    @UuidParam() id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestHeader('if-match') ifMatch?: string,
  ): Promise<TaskResponse> {
    return withEtag(reply, await this.trash.restore(caller, id, ifMatch));
  }

  @Get(':id/activity')
  @ApiOperation({
    summary: 'The history of one task',
    description:
      'Newest first, keyset-paginated: pass `nextCursor` back as `cursor` with the same filters until it is null. Also for a task in the trash or deleted for good, while its entries are kept (ACTIVITY_RETENTION, 90 days by default). ' +
      'A member of a shared category sees the entries recorded while they could see the task, each naming its actor; a task the caller cannot read answers 404, like an unknown one.',
  })
  @ApiOkResponse({ type: ActivityPageResponse })
  @ApiProblems(400, 401, 404)
  async activity(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string, @Query() query: EntityActivityQuery): Promise<ActivityPageResponse> {
    if (await this.tasks.isHiddenFrom(caller.userId, id)) {
      throw new NotFoundException('No such task.');
    }
    return this.activityLog.listForEntity(caller.userId, 'task', id, { ...query, limit: query.limit ?? DEFAULT_ACTIVITY_PAGE_SIZE });
  }
}
