package cairn.store;

import java.util.List;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;

/**
 * Runs mongo-java-server on a loopback port: {@code --port P [--host H] (--memory | --h2 FILE)}.
 * Prints one "listening on host:port" line once it accepts connections, and shuts down
 * cleanly on SIGTERM (the H2 store is closed). Writes are committed before they are answered.
 */
public final class Main {

    /**
     * The MongoDB Node driver 7 refuses servers below wire version 9 (MongoDB 4.4), and the
     * newest version mongo-java-server 1.47.0 names reports 8. It answers the commands the
     * driver sends a 4.4 server (no sessions are advertised, so no retryable writes or
     * transactions are attempted).
     */
    private static final MongoVersion REPORTED = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    };

    public static void main(String[] args) {
        String host = "127.0.0.1";
        Integer port = null;
        String h2File = null;
        boolean memory = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = value(args, ++i, "--host");
                case "--port" -> port = Integer.valueOf(value(args, ++i, "--port"));
                case "--h2" -> h2File = value(args, ++i, "--h2");
                case "--memory" -> memory = true;
                default -> fail("unknown argument " + args[i]);
            }
        }
        if (port == null) fail("--port is required");
        if (memory == (h2File != null)) fail("give exactly one of --memory and --h2 FILE");

        MongoBackend backend = memory ? new IdFirstMemoryBackend() : new DurableH2Backend(h2File);
        backend.version(REPORTED);
        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "shutdown"));
        System.out.println("cairn-mongo-store: listening on " + host + ":" + port + (memory ? " (memory)" : " (h2 " + h2File + ")"));
        System.out.flush();
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) fail(flag + " needs a value");
        return args[i];
    }

    private static void fail(String message) {
        System.err.println("cairn-mongo-store: " + message);
        System.exit(2);
    }
}
