import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildOpenApiDocumentOffline } from './app.setup.js';

/** Writes the OpenAPI document to the file given, or to stdout; needs no database (see buildOpenApiDocumentOffline). */
async function writeDocument(target: string | undefined): Promise<void> {
  const json = `${JSON.stringify(await buildOpenApiDocumentOffline(), null, 2)}\n`;
  if (target) {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, json);
  } else {
    process.stdout.write(json);
  }
}

writeDocument(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
