package channelgraph.neo4jlocal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.graphdb.Transaction;
import org.neo4j.io.ByteUnit;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;
import org.neo4j.kernel.impl.security.User;
import org.neo4j.logging.Level;
import org.neo4j.logging.NullLogProvider;
import org.neo4j.logging.log4j.Log4jLogProvider;
import org.neo4j.memory.EmptyMemoryTracker;
import org.neo4j.server.security.SecureHasher;
import org.neo4j.server.security.SystemGraphCredential;
import org.neo4j.server.security.auth.CommunitySecurityModule;
import org.neo4j.server.security.auth.FileUserRepository;

/**
 * Runs Neo4j Community (embedded) with a Bolt connector on 127.0.0.1 until SIGTERM/SIGINT.
 *
 * <p>Started by {@code scripts/neo4j-local}; not meant to be run by hand. Arguments:
 *
 * <pre>
 *   --home DIR             state folder: data/, logs/ live under it (required)
 *   --port P               Bolt port on 127.0.0.1 (default 7687)
 *   --auth on|off          authentication (default on)
 *   --password-file F      file holding the password of user neo4j (required with --auth on)
 *   --pagecache SIZE       page cache size, e.g. 256m (default 256m)
 *   --pid-file F           this JVM's pid is written here, removed on clean shutdown
 *   --ready-file F         written (port=, auth=, pid=) once Bolt is up, removed on shutdown
 * </pre>
 *
 * <p>With auth on, the password file is the single source of truth: before the first start the
 * password is put in {@code data/dbms/auth.ini} (what {@code neo4j-admin dbms set-initial-password}
 * does), so the default {@code neo4j/neo4j} login never exists on a new store; after every start the
 * stored credential of user {@code neo4j} is checked against the file and, if it differs (file
 * replaced, password changed by hand), reset with {@code ALTER USER ... CHANGE NOT REQUIRED} on the
 * system database, so the file and the store cannot drift apart.
 */
public final class Neo4jLocal {
    private static final String USER = "neo4j";
    private static final PrintStream OUT = System.out;

    /** Set once the shutdown hook has begun (SIGTERM/SIGINT); startup errors are then expected. */
    private static final AtomicBoolean SHUTTING_DOWN = new AtomicBoolean();
    /** Counted down when build() has returned or failed. */
    private static final CountDownLatch BUILT = new CountDownLatch(1);
    /** Counted down when the shutdown hook is done. */
    private static final CountDownLatch STOPPED = new CountDownLatch(1);
    private static final AtomicReference<DatabaseManagementService> DBMS = new AtomicReference<>();

    private Neo4jLocal() {}

    public static void main(String[] args) {
        Options opts;
        try {
            opts = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("neo4j-local: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            run(opts);
        } catch (Throwable t) {
            if (SHUTTING_DOWN.get()) {
                // A stop was requested while starting; let the shutdown hook finish its work.
                awaitQuietly(STOPPED);
                return;
            }
            log("FAILED to start: " + t);
            t.printStackTrace(OUT);
            OUT.flush();
            DatabaseManagementService dbms = DBMS.getAndSet(null);
            if (dbms != null) {
                try {
                    dbms.shutdown();
                } catch (Throwable e) {
                    log("error during shutdown: " + e);
                }
            }
            deleteIfOurs(opts.readyFile);
            deleteIfOurs(opts.pidFile);
            // halt: Neo4j may have left non-daemon threads behind after a failed build().
            Runtime.getRuntime().halt(1);
        }
    }

    private static void run(Options o) throws Exception {
        Path home = o.home.toAbsolutePath().normalize();
        Files.createDirectories(home.resolve("logs"));
        if (o.pidFile != null) {
            writeAtomically(o.pidFile, ProcessHandle.current().pid() + "\n");
        }
        String password = null;
        Path authIni = null;
        if (o.auth) {
            password = readPassword(o.passwordFile);
            authIni = writeInitialPassword(home, password);
        }

        long heapMax = Runtime.getRuntime().maxMemory();
        // Bound memory used by open transactions to half the heap (Neo4j's default is 70%).
        long txGlobalMax = Math.max(64L << 20, heapMax / 2);

        log(String.format(
                "starting Neo4j %s: home=%s bolt=127.0.0.1:%d auth=%s heap.max=%dm pagecache=%dm tx.total.max=%dm",
                neo4jVersion(), home, o.port, o.auth ? "on" : "off", heapMax >> 20, o.pagecache >> 20,
                txGlobalMax >> 20));
        Instant t0 = Instant.now();

        Log4jLogProvider userLog = new Log4jLogProvider(OUT, Level.INFO);
        // Installed before build(): a SIGTERM that arrives while Neo4j is starting waits for the
        // start to finish and then shuts down cleanly, instead of killing a half-created store.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            SHUTTING_DOWN.set(true);
            log("shutdown requested, stopping Neo4j ...");
            deleteIfOurs(o.readyFile);
            Instant s0 = Instant.now();
            try {
                if (!BUILT.await(10, TimeUnit.MINUTES)) {
                    log("Neo4j is still starting after 10 minutes; exiting without a clean shutdown");
                    return;
                }
                DatabaseManagementService dbms = DBMS.get();
                if (dbms != null) {
                    dbms.shutdown();
                    log("Neo4j stopped cleanly in " + millis(s0) + " ms");
                }
            } catch (Throwable t) {
                log("error during shutdown: " + t);
                t.printStackTrace(OUT);
            } finally {
                userLog.close();
                deleteIfOurs(o.pidFile);
                OUT.flush();
                STOPPED.countDown();
            }
        }, "neo4j-local-shutdown"));

        DatabaseManagementService dbms;
        try {
            dbms = new DatabaseManagementServiceBuilder(home)
                    .setUserLogProvider(userLog)
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", o.port))
                    .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", o.port))
                    .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                    .setConfig(GraphDatabaseSettings.auth_enabled, o.auth)
                    .setConfig(GraphDatabaseSettings.logs_directory, home.resolve("logs"))
                    .setConfig(GraphDatabaseSettings.pagecache_memory, o.pagecache)
                    .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, txGlobalMax)
                    .setConfig(GraphDatabaseSettings.udc_enabled, false)
                    // Transaction log files are preallocated at rotation size (default 256 MiB per
                    // database); keep them small, and keep at most ~512 MiB (default: 2 days' worth).
                    .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(64))
                    .setConfig(GraphDatabaseSettings.keep_logical_logs, "512M size")
                    // Bolt waits this many seconds of network quiet per event loop group on shutdown
                    // (default 5, twice); nothing else talks to this server once a stop is requested.
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                    .build();
            DBMS.set(dbms);
        } finally {
            BUILT.countDown();
        }

        if (o.auth) {
            syncPassword(dbms.database("system"), password);
            deleteQuietly(authIni);
        }

        // Fail here (not on the first query) if the default database did not come up.
        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(Duration.ofSeconds(60).toMillis())) {
            throw new IllegalStateException("database '" + db.databaseName() + "' is not available");
        }
        try (Transaction tx = db.beginTx()) {
            tx.commit();
        }

        if (SHUTTING_DOWN.get()) {
            awaitQuietly(STOPPED); // stopped while starting: never report ready
            return;
        }
        if (o.readyFile != null) {
            writeAtomically(o.readyFile, "port=" + o.port + "\nauth=" + (o.auth ? "on" : "off")
                    + "\npid=" + ProcessHandle.current().pid() + "\n");
        }
        log("READY: Bolt on bolt://127.0.0.1:" + o.port + " (auth " + (o.auth ? "on, user neo4j" : "off")
                + "), started in " + millis(t0) + " ms");
        awaitQuietly(STOPPED);
    }

    /** Writes data/dbms/auth.ini, which Neo4j reads while the user neo4j still has the default password. */
    private static Path writeInitialPassword(Path home, String password) throws Exception {
        Config config = Config.defaults(GraphDatabaseSettings.neo4j_home, home);
        Path file = CommunitySecurityModule.getInitialUserRepositoryFile(config);
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        try (DefaultFileSystemAbstraction fs = new DefaultFileSystemAbstraction()) {
            FileUserRepository repo = new FileUserRepository(
                    fs, file, NullLogProvider.getInstance(), EmptyMemoryTracker.INSTANCE);
            repo.start();
            SystemGraphCredential credential = SystemGraphCredential.createCredentialForPassword(
                    password.getBytes(StandardCharsets.UTF_8), new SecureHasher());
            repo.create(new User(USER, null, credential, false, false));
            repo.shutdown();
        }
        return file;
    }

    /** Makes the password of user neo4j equal to the password file's (no-op when it already is). */
    private static void syncPassword(GraphDatabaseService system, String password) {
        if (passwordMatches(system, password)) {
            log("password of user neo4j matches the password file");
            return;
        }
        try {
            system.executeTransactionally(
                    "ALTER USER " + USER + " SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
            log("password of user neo4j set from the password file");
        } catch (QueryExecutionException e) {
            if (String.valueOf(e.getMessage()).contains("cannot be the same")) {
                log("password of user neo4j matches the password file");
            } else {
                throw e;
            }
        }
    }

    /**
     * Reads the user node in the system graph directly (no Cypher: the first Cypher query of a JVM
     * costs many seconds of class loading and compilation on a small machine).
     */
    private static boolean passwordMatches(GraphDatabaseService system, String password) {
        try (Transaction tx = system.beginTx()) {
            Node user = tx.findNode(Label.label("User"), "name", USER);
            if (user == null) {
                return false;
            }
            Object credentials = user.getProperty("credentials", null);
            Object changeRequired = user.getProperty("passwordChangeRequired", Boolean.FALSE);
            if (credentials == null || Boolean.TRUE.equals(changeRequired)) {
                return false;
            }
            return SystemGraphCredential.deserialize(credentials.toString(), new SecureHasher())
                    .matchesPassword(password.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            log("could not read the stored credentials (" + e + "); setting the password with ALTER USER");
            return false;
        }
    }

    private static String readPassword(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("--password-file is required with --auth on");
        }
        String pw = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (pw.length() < 8) {
            throw new IllegalArgumentException("password in " + file + " must have at least 8 characters");
        }
        return pw;
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes a pid/ready file only if it names this JVM (another instance may own it). */
    private static void deleteIfOurs(Path file) {
        if (file == null) {
            return;
        }
        try {
            String me = Long.toString(ProcessHandle.current().pid());
            String content = Files.readString(file, StandardCharsets.UTF_8);
            boolean ours = content.strip().equals(me) || content.contains("pid=" + me + "\n");
            if (ours) {
                Files.deleteIfExists(file);
            }
        } catch (IOException ignored) {
            // missing or unreadable: nothing to do
        }
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String neo4jVersion() {
        Package p = DatabaseManagementService.class.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "5.26" : v;
    }

    private static long millis(Instant since) {
        return Duration.between(since, Instant.now()).toMillis();
    }

    private static void log(String msg) {
        OUT.println(Instant.now() + " [neo4j-local] " + msg);
        OUT.flush();
    }

    private static final class Options {
        Path home;
        int port = BoltConnector.DEFAULT_PORT;
        boolean auth = true;
        Path passwordFile;
        long pagecache = ByteUnit.mebiBytes(256);
        Path pidFile;
        Path readyFile;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + a);
                }
                String v = args[++i];
                switch (a) {
                    case "--home" -> o.home = Path.of(v);
                    case "--port" -> {
                        try {
                            o.port = Integer.parseInt(v);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("bad --port: " + v);
                        }
                        if (o.port < 1 || o.port > 65535) {
                            throw new IllegalArgumentException("bad --port: " + v);
                        }
                    }
                    case "--auth" -> {
                        if (!v.equals("on") && !v.equals("off")) {
                            throw new IllegalArgumentException("--auth takes on|off, got " + v);
                        }
                        o.auth = v.equals("on");
                    }
                    case "--password-file" -> o.passwordFile = Path.of(v);
                    case "--pagecache" -> {
                        try {
                            o.pagecache = ByteUnit.parse(v);
                        } catch (RuntimeException e) {
                            throw new IllegalArgumentException("bad --pagecache: " + v);
                        }
                    }
                    case "--pid-file" -> o.pidFile = Path.of(v);
                    case "--ready-file" -> o.readyFile = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (o.home == null) {
                throw new IllegalArgumentException("--home is required");
            }
            return o;
        }
    }
}
