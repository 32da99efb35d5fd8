package cairn.store;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;

/**
 * The memory backend, with filters that pin `_id` served through the `_id` index (IdLookup).
 *
 * Both backends also create collections under the database's lock. mongo-java-server 1.47.0
 * takes it when an insert or createIndexes creates a collection, but not for the `create`
 * command (mongoose's autoCreate). So a `create` racing a createIndexes on a fresh database
 * (an API and a worker starting together) could register the collection's namespace between
 * the other's look and its own registration, which then failed with "already existed in
 * system.namespaces".
 */
final class IdFirstMemoryBackend extends MemoryBackend {

    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
        return new MemoryDatabase(databaseName, getCursorRegistry()) {
            @Override
            public synchronized MongoCollection<Integer> createCollectionOrThrowIfExists(String collectionName, CollectionOptions options) {
                return super.createCollectionOrThrowIfExists(collectionName, options);
            }

            @Override
            protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
                return new MemoryCollection(this, collectionName, options, cursorRegistry) {
                    @Override
                    protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize, Document fields) {
                        Iterable<Integer> positions = IdLookup.positions(getIndexes(), query);
                        if (positions == null) return super.queryDocuments(query, orderBy, skip, limit, batchSize, fields);
                        return matchDocuments(query, positions, orderBy, skip, limit, batchSize, fields);
                    }
                };
            }
        };
    }
}
