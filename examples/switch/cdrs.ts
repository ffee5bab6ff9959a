/**
 * The last calls from a switch's SQLite database, through the storage API (the same one
 * the switch writes with). Safe while the switch runs: SQLite's WAL lets readers in.
 * Run: npx tsx examples/switch/cdrs.ts [DATA_DIR] [EXTENSION]
 * (DATA_DIR defaults to the demo's, examples/switch/.strowger/data)
 */
import { fileURLToPath } from 'node:url';
import { createSqliteStorage } from 'strowger';

const dataDir = process.argv[2] ?? fileURLToPath(new URL('.strowger/data', import.meta.url));
const extension = process.argv[3];

const storage = await createSqliteStorage({ dataDir });
const { items } = await storage.cdrs.query({ limit: 20, ...(extension ? { extension } : {}) });
for (const c of items) {
  const when = new Date(c.startedAt).toISOString().replace('T', ' ').slice(0, 19);
  const status = c.hangup.status === undefined ? '' : ` ${c.hangup.status}`;
  console.log(
    `${when}  ${c.caller.number} -> ${c.callee.number}  ${c.disposition}${status}` +
      `  ring ${c.ringMs} ms, talk ${c.talkMs} ms, hung up by ${c.hangup.by}, ${c.legs.length} leg(s)`,
  );
}
if (items.length === 0) console.log(`no calls in ${storage.path}`);
await storage.close();
