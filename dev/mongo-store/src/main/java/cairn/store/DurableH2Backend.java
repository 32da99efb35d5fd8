package cairn.store;

import java.lang.reflect.Field;
import java.util.Set;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * The H2 backend, answering a write only once the store holding it is committed. H2's MVStore
 * otherwise commits about once a second, so a write the client was told succeeded could vanish
 * if the store process were killed; a commit hands the change to the operating system first,
 * which is what surviving kill -9 of the store needs (not a power cut: there is no fsync).
 *
 * Commits are shared: a writer that finds a commit already made after its write returns at
 * once, so concurrent writers pay for one commit between them instead of one each. Filters that
 * pin `_id` are served through the `_id` index (IdLookup).
 */
final class DurableH2Backend extends H2Backend {

    private static final Set<String> WRITES = Set.of(
        "insert", "update", "delete", "findandmodify", "create", "createindexes",
        "drop", "dropdatabase", "dropindexes", "renamecollection");

    private final Object tickets = new Object();
    private final Object committer = new Object();
    /** Writes finished so far; each takes the next number once its change is in the store. */
    private long written;
    /** Every write numbered up to this one is committed. */
    private long committedThrough;

    DurableH2Backend(String fileName) {
        super(fileName);
    }

    @Override
    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
        Document response = super.handleCommand(channel, databaseName, command, query);
        if (WRITES.contains(command.toLowerCase())) awaitCommit();
        return response;
    }

    private void awaitCommit() {
        long ticket;
        synchronized (tickets) {
            ticket = ++written;
        }
        synchronized (committer) {
            if (committedThrough >= ticket) return;
            long upTo;
            synchronized (tickets) {
                upTo = written;
            }
            commit();
            committedThrough = upTo;
        }
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
        return new H2Database(databaseName, storeOf(this, H2Backend.class), getCursorRegistry()) {
            // See IdFirstMemoryBackend: collection creation under the database's lock.
            @Override
            public synchronized MongoCollection<Object> createCollectionOrThrowIfExists(String collectionName, CollectionOptions options) {
                return super.createCollectionOrThrowIfExists(collectionName, options);
            }

            // As H2Database opens a collection (same map names), with the _id lookup added.
            @Override
            protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
                MVStore store = storeOf(this, H2Database.class);
                String fullName = getFullCollectionNamespace(collectionName);
                MVMap<Object, Document> dataMap = store.openMap("databases." + fullName);
                MVMap<String, Object> metaMap = store.openMap("meta." + fullName);
                return new H2Collection(this, collectionName, options, dataMap, metaMap, cursorRegistry) {
                    @Override
                    protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize, Document fields) {
                        Iterable<Object> positions = IdLookup.positions(getIndexes(), query);
                        if (positions == null) return super.queryDocuments(query, orderBy, skip, limit, batchSize, fields);
                        return matchDocuments(query, positions, orderBy, skip, limit, batchSize, fields);
                    }
                };
            }
        };
    }

    /** The MVStore a backend or database keeps in its private `mvStore` field (mongo-java-server 1.47.0). */
    private static MVStore storeOf(Object owner, Class<?> declaring) {
        try {
            Field field = declaring.getDeclaredField("mvStore");
            field.setAccessible(true);
            return (MVStore) field.get(owner);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("mongo-java-server's " + declaring.getSimpleName() + " has no mvStore field", e);
        }
    }
}
