import { Injectable, Logger } from '@nestjs/common';
import type { RequestActor } from '../common/actor.js';
import { ApiProblemException, validationProblem } from '../common/errors/api-problem.exception.js';
import { mapErrorToProblem } from '../common/errors/problem-mapping.js';
import { validateBody } from '../common/validation.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { CreateTaskDto } from './dto/create-task.dto.js';
import type { BatchOperationDto, BatchResultDto } from './dto/task-batch.dto.js';
import type { TaskResponse } from './dto/task-response.dto.js';
import { UpdateTaskDto } from './dto/update-task.dto.js';
import { taskEtag } from './task-etag.js';
import { TasksService } from './tasks.service.js';
import { TrashService } from './trash.service.js';

const PROBLEM_TYPE_PREFIX = 'urn:tasktracker:problem:';

const invalid = (field: string, message: string) => validationProblem([{ field, message }]);

/**
 * POST /tasks/batch: each operation runs as its single-task route would (same checks, same unit
 * of work, same activity), in order. One by one, a failure is that operation's result; atomic, the
 * operations share one unit of work and the first failure rolls all of them back.
 */
@Injectable()
export class TaskBatchService {
  private readonly logger = new Logger(TaskBatchService.name);

  constructor(
    private readonly tasks: TasksService,
    private readonly trash: TrashService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  async run(actor: RequestActor, operations: BatchOperationDto[], atomic: boolean): Promise<BatchResultDto[]> {
    const refs = new Map<string, string>();
    if (!atomic) {
      const results: BatchResultDto[] = [];
      for (const operation of operations) {
        results.push(await this.perform(actor, operation, refs).then(succeeded, (error: unknown) => this.failed(error)));
      }
      return results;
    }
    return this.unitOfWork.run(async () => {
      const results: BatchResultDto[] = [];
      for (const [index, operation] of operations.entries()) {
        results.push(succeeded(await this.perform(actor, operation, refs).catch((error: unknown) => Promise.reject(failedAt(index, operation, error)))));
      }
      return results;
    });
  }

  private async perform(actor: RequestActor, operation: BatchOperationDto, refs: Map<string, string>): Promise<{ status: number; task?: TaskResponse }> {
    if (operation.op === 'create') {
      if (operation.id !== undefined) {
        throw invalid('id', 'a create takes its id in body.id');
      }
      if (operation.ref !== undefined && refs.has(operation.ref)) {
        throw invalid('ref', 'ref already names a task created earlier in this batch');
      }
      const task = await this.tasks.create(actor, await validateBody(CreateTaskDto, operation.body ?? {}).catch(inBody));
      if (operation.ref !== undefined) {
        refs.set(operation.ref, task.id);
      }
      return { status: 201, task };
    }
    const taskId = target(operation, refs);
    if (operation.op !== 'update' && operation.body !== undefined) {
      throw invalid('body', `${operation.op} takes no body`);
    }
    switch (operation.op) {
      case 'update':
        return { status: 200, task: await this.tasks.update(actor, taskId, await validateBody(UpdateTaskDto, operation.body ?? {}).catch(inBody), operation.ifMatch) };
      case 'toggle':
        return { status: 200, task: await this.tasks.toggle(actor, taskId, operation.ifMatch) };
      case 'delete':
        await this.tasks.moveToTrash(actor, taskId, operation.ifMatch);
        return { status: 204 };
      case 'restore':
        return { status: 200, task: await this.trash.restore(actor, taskId, operation.ifMatch) };
    }
  }

  private failed(error: unknown): BatchResultDto {
    const { problem, unexpected } = mapErrorToProblem(error);
    if (unexpected) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    return { status: problem.status, problem };
  }
}

function succeeded({ status, task }: { status: number; task?: TaskResponse }): BatchResultDto {
  return task ? { status, etag: taskEtag(task), body: task } : { status };
}

/** The task an operation acts on: its id, or the task created earlier under its ref. */
function target(operation: BatchOperationDto, refs: Map<string, string>): string {
  if ((operation.id === undefined) === (operation.ref === undefined)) {
    throw invalid(operation.id === undefined ? 'id' : 'ref', `${operation.op} takes exactly one of id and ref`);
  }
  if (operation.ref !== undefined) {
    const id = refs.get(operation.ref);
    if (!id) {
      throw invalid('ref', 'ref names no task created earlier in this batch');
    }
    return id;
  }
  return operation.id!;
}

/** A body's field errors, named from the operation: `body.title`. */
function inBody(error: unknown): never {
  if (error instanceof ApiProblemException && error.problem.errors) {
    throw validationProblem(error.problem.errors.map(({ field, message }) => ({ field: `body.${field}`, message })));
  }
  throw error;
}

/** Atomic mode: the failing operation's problem, its fields named from the request. */
function failedAt(index: number, operation: BatchOperationDto, error: unknown): unknown {
  const { problem, headers, unexpected } = mapErrorToProblem(error);
  if (unexpected) {
    return error;
  }
  const prefix = `operations[${index}]`;
  return new ApiProblemException(problem.status, `Operation ${index} (${operation.op}) failed, so none was applied: ${problem.detail}`, {
    type: problem.type.startsWith(PROBLEM_TYPE_PREFIX) ? problem.type.slice(PROBLEM_TYPE_PREFIX.length) : undefined,
    errors: (problem.errors ?? [{ field: '', message: problem.detail }]).map(({ field, message }) => ({ field: field ? `${prefix}.${field}` : prefix, message })),
    headers,
  });
}
