namespace ClaudeActors.Host;

/// <summary>The process exit codes, shared by every command so scripts can tell failures apart.</summary>
internal static class ExitCodes
{
    /// <summary>Done: <c>/quit</c>, end of input, or the node shut down on request.</summary>
    public const int Ok = 0;

    /// <summary>Something unexpected.</summary>
    public const int Failure = 1;

    /// <summary>The command line or the session options were invalid.</summary>
    public const int Usage = 2;

    /// <summary>The claude CLI was not found.</summary>
    public const int CliNotFound = 3;

    /// <summary>The claude CLI was found but the session could not start.</summary>
    public const int StartFailed = 4;

    /// <summary>The API refused the credentials before the chat could begin.</summary>
    public const int NotAuthenticated = 5;

    /// <summary>The session ended on its own in the middle of the chat (its CLI kept crashing).</summary>
    public const int SessionEnded = 6;

    /// <summary>No cluster answered at the seed nodes in time (operator commands, <c>chat --join</c>).</summary>
    public const int ClusterUnreachable = 7;

    /// <summary>No such session (by name in the cluster) or no transcript for that session id.</summary>
    public const int NotFound = 8;

    /// <summary><c>sessions start</c>: a session of that name exists already.</summary>
    public const int AlreadyExists = 9;

    /// <summary>Left with Ctrl-C (128 + SIGINT), as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (128 + SIGTERM).</summary>
    public const int Terminated = 143;
}
