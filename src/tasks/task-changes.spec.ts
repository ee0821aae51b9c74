import { changedValues, completedAtAfter, fieldChanges, taskValuesFrom } from './task-changes.js';
import type { TaskRow } from './task.entity.js';

const now = new Date('2026-12-02T10:00:00.000Z');
const earlier = new Date('2026-11-30T08:00:00.000Z');

const task = (overrides: Partial<TaskRow> = {}): TaskRow => ({
  id: '0190f0c6-0000-7000-8000-000000000001',
  user: '0190f0c6-0000-7000-8000-0000000000aa',
  title: 'Finish report',
  description: null,
  status: 'pending',
  priority: 'medium',
  dueDate: null,
  completedAt: null,
  labels: [],
  labelKeys: [],
  position: 'a0',
  recurrence: null,
  category: null,
  parent: null,
  subtasks: { total: 0, completed: 0 },
  createdBy: { id: '0190f0c6-0000-7000-8000-0000000000aa', username: 'alice', name: 'Alice' },
  assignee: null,
  createdAt: earlier,
  updatedAt: earlier,
  version: 1,
  deletedAt: null,
  ...overrides,
});

describe('completedAtAfter', () => {
  it('sets it when a task becomes completed, and on a task created completed', () => {
    expect(completedAtAfter(task(), 'completed', now)).toBe(now);
    expect(completedAtAfter(undefined, 'completed', now)).toBe(now);
  });

  it('keeps the original time while the task stays completed', () => {
    expect(completedAtAfter(task({ status: 'completed', completedAt: earlier }), 'completed', now)).toEqual(earlier);
    // Reads answer timestamps as ISO text: the same instant comes back as a date.
    expect(completedAtAfter({ status: 'completed', completedAt: earlier.toISOString() }, 'completed', now)).toEqual(earlier);
  });

  it.each(['pending', 'in_progress'] as const)('clears it when the task becomes %s', (status) => {
    expect(completedAtAfter(task({ status: 'completed', completedAt: earlier }), status, now)).toBeNull();
    expect(completedAtAfter(undefined, status, now)).toBeNull();
  });
});

describe('changedValues', () => {
  it('keeps only values that differ, comparing dates by instant', () => {
    const current = task({ dueDate: new Date('2026-12-24T17:00:00.000Z'), title: 'Same' });
    expect(
      changedValues(current, {
        title: 'Same',
        dueDate: new Date('2026-12-24T18:00:00+01:00'),
        priority: 'high',
        description: undefined,
      }),
    ).toEqual({ priority: 'high' });
  });

  it('compares a timestamp read as ISO text with a date by instant', () => {
    const current = { ...task(), dueDate: '2026-12-24T17:00:00.000Z' };
    expect(changedValues(current, { dueDate: new Date('2026-12-24T18:00:00+01:00') })).toEqual({});
    expect(changedValues(current, { dueDate: new Date('2026-12-24T18:00:00Z') })).toEqual({ dueDate: new Date('2026-12-24T18:00:00Z') });
  });

  it('treats null as a value: clearing a set field is a change, clearing an empty one is not', () => {
    expect(changedValues(task({ description: 'x' }), { description: null })).toEqual({ description: null });
    expect(changedValues(task(), { description: null, category: null })).toEqual({});
  });
});

describe('taskValuesFrom', () => {
  it('maps API fields to entity properties, leaving absent ones undefined', () => {
    expect(taskValuesFrom({ dueDate: '2026-12-24T17:00:00Z', categoryId: null, priority: 'high' })).toEqual({
      dueDate: new Date('2026-12-24T17:00:00Z'),
      category: null,
      priority: 'high',
    });
    expect(taskValuesFrom({ title: 'x' })).toEqual({ title: 'x', dueDate: undefined, category: undefined });
  });
});

describe('fieldChanges', () => {
  it('lists every set field of a creation, from null', () => {
    expect(fieldChanges(null, { id: 'x', title: 'A', description: null, version: 1 })).toEqual({ title: { from: null, to: 'A' } });
  });

  it('lists only what changed, never the version or timestamps a write moves by itself', () => {
    const before = { id: 'x', title: 'A', status: 'pending', version: 1, updatedAt: 't1', createdAt: 't0' };
    const after = { id: 'x', title: 'A', status: 'completed', version: 2, updatedAt: 't2', createdAt: 't0' };
    expect(fieldChanges(before, after)).toEqual({ status: { from: 'pending', to: 'completed' } });
  });
});
