package cairn.store;

import java.util.Set;

import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * The H2 backend, answering a write only once the store holding it is committed. H2's MVStore
 * otherwise commits about once a second, so a write the client was told succeeded could vanish
 * if the store process were killed; a commit hands the change to the operating system first,
 * which is what surviving kill -9 of the store needs (not a power cut: there is no fsync).
 *
 * Commits are shared: a writer that finds a commit already made after its write returns at
 * once, so concurrent writers pay for one commit between them instead of one each.
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
}
