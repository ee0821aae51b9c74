import 'reflect-metadata';
import { generateNKeysBetween } from 'fractional-indexing';
import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../mikro-orm.config.js';
import { Category } from './categories/category.entity.js';
import { validateEnvironment } from './config/environment.js';
import { locateDatabase } from './database/database-location.js';
import { databaseSettingsFrom } from './database/database-settings.js';
import { completedAtAfter } from './tasks/task-changes.js';
import { Task } from './tasks/task.entity.js';
import type { TaskPriority, TaskStatus } from './tasks/task-enums.js';
import { User } from './users/user.entity.js';

/**
 * `npm run db:seed`: two sample users with categories and tasks. Safe to run twice. It sits beside
 * main.ts, not in src/database, because it writes every feature's entities (the database layer
 * imports no feature).
 */
const DAY_MS = 86_400_000;

interface SampleTask {
  title: string;
  category?: string;
  status?: TaskStatus;
  priority?: TaskPriority;
  dueInDays?: number;
}

const SAMPLES: Array<{
  email: string;
  username: string;
  name: string;
  password: string;
  categories: Array<{ name: string; color: string }>;
  tasks: SampleTask[];
}> = [
  {
    email: 'john.doe@example.com',
    username: 'john.doe',
    name: 'John Doe',
    password: 'john-sample-password',
    categories: [
      { name: 'Home', color: '#22c55e' },
      { name: 'Work', color: '#3b82f6' },
    ],
    tasks: [
      { title: 'Buy groceries', category: 'Home', priority: 'high', dueInDays: 1 },
      { title: 'Finish report', category: 'Work', status: 'in_progress', priority: 'high', dueInDays: 3 },
      { title: 'Call mom', category: 'Home', status: 'completed' },
      { title: 'Book dentist appointment', priority: 'low' },
    ],
  },
  {
    email: 'jane.smith@example.com',
    username: 'jane.smith',
    name: 'Jane Smith',
    password: 'jane-sample-password',
    categories: [
      { name: 'Personal', color: '#a855f7' },
      { name: 'Errands', color: '#f97316' },
    ],
    tasks: [
      { title: 'Renew passport', category: 'Errands', priority: 'high', dueInDays: -2 },
      { title: 'Plan weekend trip', category: 'Personal', priority: 'medium', dueInDays: 7 },
      { title: 'Water the plants', category: 'Personal', status: 'completed', priority: 'low' },
    ],
  },
];

async function seed(orm: MikroORM, bcryptCost: number): Promise<void> {
  const em = orm.em.fork();
  for (const sample of SAMPLES) {
    if (await em.count(User, { email: sample.email })) {
      console.log(`${sample.name} exists: skipped.`);
      continue;
    }
    const user = new User(sample.email, sample.username, sample.name);
    await user.setPassword(sample.password, bcryptCost);
    const categories = new Map(sample.categories.map((c) => [c.name, new Category(user, c.name, c.color)]));
    // Keys in sample order: unique within every list of this user, whichever list a task is in.
    const positions = generateNKeysBetween(null, null, sample.tasks.length);
    const tasks = sample.tasks.map((spec, index) => {
      const task = new Task(user, spec.title, positions[index]);
      task.status = spec.status ?? 'pending';
      task.completedAt = completedAtAfter(undefined, task.status, new Date());
      task.priority = spec.priority ?? 'medium';
      task.dueDate = spec.dueInDays === undefined ? null : new Date(Date.now() + spec.dueInDays * DAY_MS);
      task.category = spec.category ? categories.get(spec.category)! : null;
      return task;
    });
    em.persist([user, ...categories.values(), ...tasks]);
    console.log(`${sample.name}: log in as ${sample.email} / ${sample.password}`);
  }
  await em.flush();
}

async function main(): Promise<void> {
  const environment = validateEnvironment(process.env);
  const database = await locateDatabase(environment);
  const orm = await MikroORM.init(
    createOrmConfig({ ...databaseSettingsFrom(environment, database.url), preferTs: true }),
  );
  try {
    await orm.migrator.up();
    await seed(orm, environment.BCRYPT_COST);
  } finally {
    await orm.close();
    await database.release();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : `Failed: ${String(error)}`);
  process.exit(1);
});
