using Akka.Actor;

namespace ClaudeActors.Host.Configuration;

/// <summary>
/// Where this node lives in the cluster: section <c>ClaudeActors:Node</c> (appsettings.json, environment
/// <c>ClaudeActors__Node__...</c>), overridden by the command line's flags. Lists are left null when not
/// configured, because the configuration binder appends to a list that already has items: the defaults are
/// applied by the Effective* members instead.
/// </summary>
internal sealed class NodeSettings
{
    public const string SectionName = "ClaudeActors:Node";

    /// <summary>The ActorSystem's (and so the cluster's) name: every seed address must use it.</summary>
    public const string SystemName = HostBuilderExtensions.ActorSystemName;

    /// <summary>The role of the nodes that run CLI processes (<see cref="Cluster.ClaudeClusterOptions.Role"/>'s default).</summary>
    public const string SessionsRole = "sessions";

    public const int DefaultPort = 4053;

    /// <summary>The address Akka.Remote binds to; <c>0.0.0.0</c> in a container (then set <see cref="PublicHostname"/>).</summary>
    public string Hostname { get; set; } = "127.0.0.1";

    /// <summary>The TCP port; 0 picks a free one.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>The host name other nodes use to reach this one (default: <see cref="Hostname"/>).</summary>
    public string? PublicHostname { get; set; }

    /// <summary><c>akka.tcp://claude-actors@host:port</c> of nodes to join; empty forms a cluster of one (self-join).</summary>
    public List<string>? SeedNodes { get; set; }

    /// <summary>The node's cluster roles; default <c>["sessions"]</c>. A node without the sessions role only routes.</summary>
    public List<string>? Roles { get; set; }

    /// <summary>
    /// How the node finds its cluster without seed nodes: <see cref="DiscoveryMethod.None"/> (the seed nodes, or a
    /// cluster of one), or Akka.Discovery, config or Kubernetes API (see <see cref="DiscoveryJoin"/>).
    /// </summary>
    public DiscoveryMethod Discovery { get; set; } = DiscoveryMethod.None;

    /// <summary>
    /// Config discovery: the remoting endpoints (<c>host:port</c>, as each node advertises itself) of the cluster's
    /// nodes, this one included. Not a seed list to keep in step: the lowest forms the cluster if no node is in one,
    /// and any node of the list that is in the cluster lets the others in.
    /// </summary>
    public List<string>? ContactPoints { get; set; }

    /// <summary>The service discovery looks up: Kubernetes finds the pods labelled <c>app.kubernetes.io/name=NAME</c>.</summary>
    public string ServiceName { get; set; } = DefaultServiceName;

    /// <summary>
    /// How many nodes discovery must report before this node joins (default: every configured one with config
    /// discovery, 2 with Kubernetes, where pods appear one by one).
    /// </summary>
    public int? RequiredContactPoints { get; set; }

    public const string DefaultServiceName = "claude-actors";

    /// <summary>The folder of the SQLite journal (<c>claude-actors.db</c>); default <see cref="DefaultDataDirectory"/>.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// The host name advertised to the cluster: <see cref="PublicHostname"/>; else, when the node binds every
    /// interface (<c>0.0.0.0</c>, <c>::</c>), the machine's host name (a node cannot be reached at 0.0.0.0); else null (= <see cref="Hostname"/>).
    /// </summary>
    public string? EffectivePublicHostname =>
        !string.IsNullOrWhiteSpace(PublicHostname) ? PublicHostname.Trim()
        : Hostname.Trim() is "0.0.0.0" or "::" or "[::]" ? System.Net.Dns.GetHostName()
        : null;

    /// <summary>This node's own address as other processes of this machine reach it: 127.0.0.1 when it binds every interface.</summary>
    public string LocalAddress =>
        $"akka.tcp://{SystemName}@{(Hostname.Trim() is "0.0.0.0" or "::" or "[::]" or "" ? "127.0.0.1" : Hostname.Trim())}:{(Port == 0 ? DefaultPort : Port)}";

    public IReadOnlyList<string> EffectiveContactPoints =>
        (ContactPoints ?? []).SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    /// <summary>The nodes discovery must report: as configured, else all of config discovery's, else 2.</summary>
    public int EffectiveRequiredContactPoints =>
        RequiredContactPoints ?? (Discovery == DiscoveryMethod.Config ? Math.Max(1, EffectiveContactPoints.Count) : 2);

    public IReadOnlyList<string> EffectiveSeedNodes =>
        (SeedNodes ?? []).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()).ToList();

    /// <summary>The roles; an empty value (<c>ClaudeActors__Node__Roles__0=</c>) means none.</summary>
    public IReadOnlyList<string> EffectiveRoles =>
        Roles is null ? [SessionsRole] : Roles.Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r.Trim()).Distinct().ToList();

    /// <summary>The data directory as an absolute path (relative paths are taken from the current directory).</summary>
    public string EffectiveDataDirectory => Path.GetFullPath(string.IsNullOrWhiteSpace(DataDirectory) ? DefaultDataDirectory : DataDirectory);

    /// <summary>
    /// <c>$XDG_DATA_HOME/claude-actors</c> (usually <c>~/.local/share/claude-actors</c>) on Linux,
    /// <c>%LOCALAPPDATA%\claude-actors</c> on Windows; <c>./.claude-actors</c> when the user has no home.
    /// Per user rather than per directory, so every local node of one user shares one journal (which a
    /// session moving between local nodes needs).
    /// </summary>
    public static string DefaultDataDirectory
    {
        get
        {
            var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            return string.IsNullOrEmpty(root)
                ? Path.Combine(Directory.GetCurrentDirectory(), ".claude-actors")
                : Path.Combine(root, "claude-actors");
        }
    }

    /// <summary>Every problem, as sentences; empty when the settings can be used.</summary>
    public List<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Hostname)) problems.Add("the hostname is empty.");
        if (Port is < 0 or > 65535) problems.Add($"the port {Port} is not between 0 and 65535.");
        foreach (var seed in EffectiveSeedNodes)
            if (SeedProblem(seed) is { } problem) problems.Add(problem);
        if (Discovery != DiscoveryMethod.None && EffectiveSeedNodes.Count > 0)
            problems.Add("seed nodes and discovery exclude each other: give --seed or --discovery, not both.");
        if (Discovery == DiscoveryMethod.Config && Port == 0)
            problems.Add("config discovery lists the nodes' ports: give this node its port (--port), not 0.");
        if (Discovery == DiscoveryMethod.Config)
        {
            if (EffectiveContactPoints.Count == 0)
                problems.Add("config discovery needs the contact points (--contact-point HOST:PORT, the nodes' remoting endpoints).");
            foreach (var point in EffectiveContactPoints)
                if (!IsHostAndPort(point)) problems.Add($"the contact point '{point}' is not HOST:PORT.");
        }
        if (Discovery == DiscoveryMethod.Kubernetes && string.IsNullOrWhiteSpace(ServiceName))
            problems.Add("Kubernetes discovery needs a service name (--service-name: the pods' app label).");
        if (RequiredContactPoints is < 1) problems.Add("the required contact points must be at least 1.");
        return problems;
    }

    private static bool IsHostAndPort(string point)
    {
        var colon = point.LastIndexOf(':');
        return colon > 0 && int.TryParse(point[(colon + 1)..], out var port) && port is > 0 and <= 65535;
    }

    /// <summary>Why <paramref name="seed"/> cannot be joined, or null when it is an address of this cluster.</summary>
    public static string? SeedProblem(string seed)
    {
        Address address;
        try
        {
            address = Address.Parse(seed);
        }
        catch (Exception)
        {
            return $"the seed '{seed}' is not an address like akka.tcp://{SystemName}@HOST:PORT.";
        }
        if (address.Host is null || address.Port is null)
            return $"the seed '{seed}' needs a host and a port (akka.tcp://{SystemName}@HOST:PORT).";
        if (address.System != SystemName)
            return $"the seed '{seed}' names the actor system '{address.System}'; this cluster's is '{SystemName}'.";
        return null;
    }
}

/// <summary>How a node finds its cluster (<see cref="NodeSettings.Discovery"/>).</summary>
internal enum DiscoveryMethod
{
    /// <summary>The seed nodes; none: a cluster of one.</summary>
    None,

    /// <summary>A fixed list of the nodes' endpoints (local runs, docker compose).</summary>
    Config,

    /// <summary>The Kubernetes API: the pods labelled app.kubernetes.io/name=ServiceName (needs RBAC to list pods).</summary>
    Kubernetes,
}

/// <summary>The journal and snapshot store of the session entities.</summary>
internal enum PersistenceProvider
{
    /// <summary>A SQLite file in the data directory (one machine).</summary>
    Sqlite,

    /// <summary>PostgreSQL (15 or later): required when nodes run on several machines.</summary>
    PostgreSql,
}

/// <summary>Section <c>ClaudeActors:Persistence</c>.</summary>
internal sealed class PersistenceSettings
{
    public const string SectionName = "ClaudeActors:Persistence";

    public const string SqliteFileName = "claude-actors.db";

    public PersistenceProvider Provider { get; set; } = PersistenceProvider.Sqlite;

    /// <summary>Default for SQLite: <c>Data Source=&lt;DataDirectory&gt;/claude-actors.db</c>; required for PostgreSQL.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The linq2db provider name for Akka.Persistence.Sql.</summary>
    public string LinqToDbProvider => Provider switch
    {
        PersistenceProvider.PostgreSql => LinqToDB.ProviderName.PostgreSQL15,
        _ => LinqToDB.ProviderName.SQLiteMS,
    };

    /// <summary>The connection string to use: the configured one, or the SQLite file in <paramref name="dataDirectory"/>.</summary>
    public string EffectiveConnectionString(string dataDirectory) =>
        !string.IsNullOrWhiteSpace(ConnectionString)
            ? ConnectionString
            : Provider == PersistenceProvider.Sqlite
                ? $"Data Source={Path.Combine(dataDirectory, SqliteFileName)}"
                : throw new InvalidOperationException("PostgreSQL needs a connection string.");

    public List<string> Validate()
    {
        var problems = new List<string>();
        if (Provider == PersistenceProvider.PostgreSql && string.IsNullOrWhiteSpace(ConnectionString))
            problems.Add("PostgreSQL persistence needs a connection string (--connection-string or ClaudeActors__Persistence__ConnectionString).");
        if (string.IsNullOrWhiteSpace(ConnectionString)) return problems;
        try
        {
            _ = Describe(ConnectionString);
        }
        catch (Exception)
        {
            // The exception's message may quote the connection string, password included: never show it.
            problems.Add($"the {Provider} connection string cannot be read.");
        }
        return problems;
    }

    /// <summary>
    /// What may be logged about the store: the provider and the SQLite file or the PostgreSQL host, port and
    /// database. Never the whole connection string (it may hold a password).
    /// </summary>
    public string Describe(string connectionString)
    {
        if (Provider == PersistenceProvider.Sqlite)
        {
            var sqlite = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString);
            return $"Sqlite ({sqlite.DataSource})";
        }
        var npgsql = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSql (host {npgsql.Host}:{npgsql.Port}, database {npgsql.Database ?? "(default)"})";
    }

    /// <summary>Creates the SQLite file's folder (SQLite creates the file, not its folder).</summary>
    public void EnsureStorage(string connectionString)
    {
        if (Provider != PersistenceProvider.Sqlite) return;
        var source = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(source) || source == ":memory:" || source.StartsWith("file:", StringComparison.OrdinalIgnoreCase)) return;
        if (Path.GetDirectoryName(Path.GetFullPath(source)) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
    }
}
