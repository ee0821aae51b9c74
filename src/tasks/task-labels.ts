/**
 * Labels compare ignoring case ("Work" and "work" are one label); a task keeps the spelling its
 * client first wrote. The key of a label is its lower-case form, stored beside the labels
 * (tasks.label_keys) for the filters and the label routes.
 */
export const MAX_LABELS_PER_TASK = 20;
export const MAX_LABEL_LENGTH = 50;

export const labelKey = (label: string): string => label.toLowerCase();

export const labelKeysOf = (labels: readonly string[]): string[] => labels.map(labelKey);

/** Each label once, ignoring case, in the order given, the first spelling kept. */
export function distinctLabels(labels: readonly string[]): string[] {
  const seen = new Set<string>();
  return labels.filter((label) => {
    const key = labelKey(label);
    return !seen.has(key) && seen.add(key);
  });
}

/** The labels after renaming one (by key) to `name`, merged with a label already spelt that way. */
export function renamedLabels(labels: readonly string[], fromKey: string, name: string): string[] {
  return distinctLabels(labels.map((label) => (labelKey(label) === fromKey ? name : label)));
}

export function withoutLabel(labels: readonly string[], key: string): string[] {
  return labels.filter((label) => labelKey(label) !== key);
}
