const SORT_FIELDS = ['createdAt', 'updatedAt', 'dueDate', 'priority', 'title', 'position'] as const;
type SortField = (typeof SORT_FIELDS)[number];

export const TASK_SORTS = SORT_FIELDS.flatMap((field) => [field, `-${field}`]) as TaskSort[];
export type TaskSort = SortField | `-${SortField}`;

export interface SortSpec {
  /** Entity property of the sort key; `id` always breaks ties, in the same direction. */
  property: 'createdAt' | 'updatedAt' | 'dueDate' | 'priorityRank' | 'title' | 'position';
  /** SQL type the cursor's text value is cast back to. */
  castTo: 'timestamptz' | 'smallint' | 'text';
  descending: boolean;
  /** Only due_date may be null; nulls come last in both directions. */
  nullable: boolean;
}

const COLUMNS: Record<SortField, Omit<SortSpec, 'descending'>> = {
  createdAt: { property: 'createdAt', castTo: 'timestamptz', nullable: false },
  updatedAt: { property: 'updatedAt', castTo: 'timestamptz', nullable: false },
  dueDate: { property: 'dueDate', castTo: 'timestamptz', nullable: true },
  // The generated rank column: high > medium > low, not alphabetical.
  priority: { property: 'priorityRank', castTo: 'smallint', nullable: false },
  title: { property: 'title', castTo: 'text', nullable: false },
  // The manual order (a fractional-indexing key, collation C); within one list, e.g. with categoryId.
  position: { property: 'position', castTo: 'text', nullable: false },
};

export function sortSpec(sort: TaskSort): SortSpec {
  const descending = sort.startsWith('-');
  const field = (descending ? sort.slice(1) : sort) as SortField;
  return { ...COLUMNS[field], descending };
}
