import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocumentOffline } from './app.setup.js';

/** Writes the OpenAPI document to the file given, or to stdout; needs no database (see buildOpenApiDocumentOffline). */
async function writeDocument(target: string | undefined): Promise<void> {
  const json = `${JSON.stringify(await buildOpenApiDocumentOffline(), null, 2)}\n`;
  if (target) {
    writeFileSync(target, json);
  } else {
    process.stdout.write(json);
  }
}

writeDocument(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
