package cairn.store;

import java.util.List;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.bson.Document;

/**
 * mongo-java-server uses an index only for a filter made of exactly that index's keys, so a
 * filter that pins `_id` beside other conditions (a conditional update, a guarded upsert)
 * reads the whole collection. Cairn's hot paths are such filters; this finds their one
 * candidate through the `_id` index, and the collection then applies the whole filter to it.
 */
final class IdLookup {

    private IdLookup() {
    }

    /** The `_id` index's positions for the filter's `_id`, or null when the filter does not pin it. */
    static <P> Iterable<P> positions(List<Index<P>> indexes, Document query) {
        if (query.size() < 2 || !query.containsKey("_id")) return null;
        Object id = query.get("_id");
        if (id instanceof Document condition && condition.keySet().stream().anyMatch(k -> k.startsWith("$"))
            && !(condition.size() == 1 && condition.containsKey("$in"))) {
            return null;
        }
        Document idOnly = new Document("_id", id);
        for (Index<P> index : indexes) {
            if ("_id_".equals(index.getName()) && index.canHandle(idOnly)) return index.getPositions(idOnly);
        }
        return null;
    }
}
