package cairn.store;

import java.util.Set;

import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * The H2 backend, committing its store before answering each write. H2's MVStore otherwise
 * commits about once a second, so a write the client was told succeeded could vanish if the
 * store process were killed; a commit hands the change to the operating system first, which
 * is what surviving kill -9 of the store needs (not a power cut: there is no fsync per write).
 */
final class DurableH2Backend extends H2Backend {

    private static final Set<String> WRITES = Set.of(
        "insert", "update", "delete", "findandmodify", "create", "createindexes",
        "drop", "dropdatabase", "dropindexes", "renamecollection");

    DurableH2Backend(String fileName) {
        super(fileName);
    }

    @Override
    public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
        Document response = super.handleCommand(channel, databaseName, command, query);
        if (WRITES.contains(command.toLowerCase())) commit();
        return response;
    }
}
