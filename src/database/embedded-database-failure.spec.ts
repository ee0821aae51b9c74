import { explainServerOutput } from './embedded-database-failure.js';

const context = { dataDir: '/srv/app/.data/postgres', port: 54329, runAs: 'the "postgres" OS user' };
const explain = (output: string) => explainServerOutput(output, context).message;

describe('explainServerOutput: what PostgreSQL printed, as one line with the cause and what to do', () => {
  it.each([
    [
      'a taken port',
      'LOG:  could not bind IPv4 address "127.0.0.1": Address already in use\nWARNING:  could not create listen socket for "127.0.0.1"\nFATAL:  could not create any TCP/IP sockets',
      ['port 54329', 'EMBEDDED_DATABASE_PORT'],
    ],
    [
      'a full disk',
      'initdb: error: could not write to file "/srv/app/.data/postgres/base/1/1259": No space left on device',
      ['disk holding /srv/app/.data/postgres is full', 'Free some space', 'EMBEDDED_DATABASE_DIR'],
    ],
    [
      'a permission problem',
      'FATAL:  could not open file "global/pg_control": Permission denied',
      ['refused access', 'could not open file "global/pg_control": Permission denied', 'Give the "postgres" OS user access'],
    ],
    [
      'another major version',
      'FATAL:  database files are incompatible with server\nDETAIL:  The data directory was initialized by PostgreSQL version 16, which is not compatible with this version 18.4.',
      ['another PostgreSQL major version', 'EMBEDDED_DATABASE_DIR'],
    ],
    ['anything else', 'LOG:  starting\nFATAL:  invalid value for parameter "max_connections": "x"', ['did not start: invalid value for parameter', 'tasktracker-postgres.log']],
    ['no output at all', '', ['exited without saying why']],
  ])('%s', (_case, output, expected) => {
    const message = explain(output);
    expect(message).not.toContain('\n');
    expect(message.startsWith('Embedded PostgreSQL: ')).toBe(true);
    for (const part of expected) {
      expect(message).toContain(part);
    }
  });
});
