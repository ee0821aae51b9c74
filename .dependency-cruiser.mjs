/**
 * Layer rules, checked by `npm run lint` (STYLE.md "Do" 12): features depend on infrastructure,
 * never the reverse; a feature reaches another only through its exported surface; no two feature
 * folders depend on each other.
 *
 * Infrastructure: src/common, src/config, src/logging, src/database. Every other folder under src/
 * is a feature module (auth, users, tasks, categories, health, rate-limit, and any new one).
 * Files directly in src/ (main.ts, app.module.ts, seed.ts...) compose the application.
 */
const INFRASTRUCTURE = '(?:common|config|logging|database)';
/** A file of any feature module; group 1 is the feature's folder name. */
const FEATURE_FILE = `^src/((?!${INFRASTRUCTURE}/)[^/]+)/`;
/** A feature module's folder or one of its subfolders (folder-scope rules); group 1 is its name. */
const FEATURE_FOLDER = `^src/((?!${INFRASTRUCTURE}(?:/|$))[^/]+)(?:/|$)`;

/**
 * What one feature may import from another:
 * - `*.module.ts`: to import the module, whose exports are its providers;
 * - `*.service.ts`: the providers a module exports (never its repositories: the owner writes its
 *   tables, STYLE.md 12);
 * - `*.entity.ts`: entities, for MikroORM relations (a ManyToOne to another module's entity);
 * - `*-events.ts`: the domain events a module publishes, so others can listen to them;
 * - `dto/**`: request and response classes and their field validators, reused by other routes;
 * - `*.decorator.ts`, `*.guard.ts`: what a module offers other modules' routes (@Public(),
 *   @SkipRateLimit(), @UseGuards(RegistrationLimitGuard)).
 * Never `*.repository.ts`, `*.controller.ts` or any other internal file.
 */
const EXPORTED_SURFACE = `^src/[^/]+/(?:[^/]+\\.(?:module|service|entity|decorator|guard)\\.ts|[^/]+-events\\.ts|dto/.+\\.ts)$`;
/** Pairs of features tied back only through entities (see below). */
const RELATION_PAIR = '(?:tasks|categories)';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'infrastructure-imports-no-feature',
      severity: 'error',
      comment:
        'common, config, logging and database are what every feature builds on; importing a feature ' +
        '(or the application root in src/*.ts) from there would tie every feature to that one and ' +
        'make cycles. A module that needs to react to another publishes a domain event instead.',
      from: { path: `^src/${INFRASTRUCTURE}/` },
      to: { path: '^src/', pathNot: `^src/${INFRASTRUCTURE}/` },
    },
    {
      name: 'feature-through-exported-surface',
      severity: 'error',
      comment:
        "A feature uses another only through what that module exports (module, services, entities for " +
        'relations, events, DTOs, route decorators and guards), never its repositories, controllers or ' +
        'internals: only the owner writes its tables. See EXPORTED_SURFACE in .dependency-cruiser.mjs.',
      from: { path: FEATURE_FILE },
      to: {
        path: FEATURE_FILE,
        pathNot: ['^src/$1/', EXPORTED_SURFACE],
      },
    },
    {
      name: 'no-cycles-between-features',
      severity: 'error',
      comment:
        'Feature folders form a hierarchy (auth depends on users, tasks on categories): a cycle between ' +
        'two of them, even through different files, means neither can be understood or changed alone. ' +
        'The dependency that points back becomes a domain event the other module listens to.',
      scope: 'folder',
      from: { path: FEATURE_FOLDER, pathNot: `^src/${RELATION_PAIR}(?:/|$)` },
      to: { path: FEATURE_FOLDER, pathNot: '^src/$1(?:/|$)', circular: true },
    },
    {
      name: 'no-cycles-between-features',
      severity: 'error',
      comment:
        'The same rule for tasks and categories, whose only dependencies back go through the Task ' +
        'entity: the inverse OneToMany Category.tasks, and the category repository counting live tasks ' +
        'per category with a query typed by Task (a read; only tasks writes them). Folder-scope rules ' +
        'in dependency-cruiser 18 cannot exempt single files, so the pair is exempt here and the ' +
        'file-level rule below checks it, exempting only entity and repository cycles.',
      scope: 'folder',
      from: { path: `^src/${RELATION_PAIR}(?:/|$)` },
      to: { path: FEATURE_FOLDER, pathNot: `^src/${RELATION_PAIR}(?:/|$)`, circular: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycle between files, except entities that reference each other for MikroORM ' +
        'relations (Rel<> on both sides) and an entity with its custom repository ' +
        '([EntityRepositoryType]): a cycle made only of those files is what the ORM needs.',
      from: { path: '^src/' },
      to: { circular: true, via: { pathNot: '\\.(?:entity|repository)\\.ts$' } },
    },
  ],
  options: {
    // Only our code: without this, the root mikro-orm.config.ts (which imports every entity) would
    // make every feature folder look like it depends on every other through src/database.
    includeOnly: '^src/',
    // `import type` is a dependency too: a type from another module ties the two just the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
