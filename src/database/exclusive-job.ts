import { Injectable } from '@nestjs/common';
import { UnitOfWork } from './unit-of-work.js';

/**
 * Scheduled jobs (retention, purges) run on every instance. Each run takes a transaction-level
 * advisory lock named after the job: an instance that finds it taken skips this round instead of
 * deleting the same rows at the same time; the lock ends with the transaction, crash included.
 */
@Injectable()
export class ExclusiveJobs {
  constructor(private readonly unitOfWork: UnitOfWork) {}

  /** Runs `job` in one transaction unless another instance is running `name`; whether it ran. */
  run(name: string, job: () => Promise<void>): Promise<boolean> {
    return this.unitOfWork.run(async (em) => {
      const [{ locked }] = await em.execute<Array<{ locked: boolean }>>(
        'select pg_try_advisory_xact_lock(hashtext(?)) as locked',
        [`tasktracker:${name}`],
      );
      if (locked) {
        await job();
      }
      return locked;
    });
  }
}
