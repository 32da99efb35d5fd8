// One side of a store race (test/integration/store-conformance.test.ts), run as its own process
// so that the two sides share nothing but the server: node store-race.js <uri> <race> <side>.
// Prints one JSON line with what this side saw.
const { MongoClient } = require('mongoose').mongo;

const [uri, race, side] = process.argv.slice(2);
const IN_FLIGHT = 8;

async function inLanes(count, work) {
  let next = 0;
  const lane = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

const races = {
  // 2,000 increments of one counter.
  async increments(db) {
    const c = db.collection('counters');
    await inLanes(2000, () => c.updateOne({ _id: 'shared' }, { $inc: { n: 1 } }, { upsert: true }).catch(retryDuplicate(() => c.updateOne({ _id: 'shared' }, { $inc: { n: 1 } }))));
    return {};
  },
  // Claims 500 keys as the delivery ledger does: the attempt that finds no earlier document wins.
  async claims(db) {
    const c = db.collection('claims');
    const won = [];
    const claim = (key) => c.findOneAndUpdate({ _id: key }, { $setOnInsert: { by: side }, $inc: { attempts: 1 } }, { upsert: true, returnDocument: 'before' });
    await inLanes(500, async (i) => {
      const key = `key-${i}`;
      const before = await claim(key).catch(retryDuplicate(() => claim(key)));
      if (before === null) won.push(key);
    });
    return { won };
  },
  // Inserts the same 500 IDs: each must be stored once, by one side.
  async inserts(db) {
    const c = db.collection('unique_inserts');
    const inserted = [];
    await inLanes(500, async (i) => {
      try {
        await c.insertOne({ _id: `doc-${i}`, by: side });
        inserted.push(i);
      } catch (err) {
        if (err.code !== 11000) throw err;
      }
    });
    return { inserted: inserted.length };
  },
  // 100 attempts to take one of 5 places by a conditional push, as frequency caps do.
  async places(db) {
    const c = db.collection('places');
    let admitted = 0;
    await inLanes(100, async (i) => {
      const r = await c.updateOne({ _id: 'cap', 'times.4': { $exists: false } }, { $push: { times: `${side}-${i}` } });
      admitted += r.modifiedCount;
    });
    return { admitted };
  },
};

/** Two upserts racing on one new `_id` may both try to insert; MongoDB then asks for a retry. */
function retryDuplicate(again) {
  return (err) => {
    if (err && err.code === 11000) return again();
    throw err;
  };
}

(async () => {
  const client = await MongoClient.connect(uri, { maxPoolSize: IN_FLIGHT });
  try {
    const result = await races[race](client.db());
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await client.close();
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
