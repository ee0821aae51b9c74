/** The text `q` searches; queries must use this exact expression for the trigram index to apply. */
export const TASK_SEARCH_DOCUMENT = `(title || ' ' || coalesce(description, ''))`;
