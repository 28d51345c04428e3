using System.CommandLine;
using System.CommandLine.Invocation;
using ClaudeActors.Host;
using ClaudeActors.Host.Commands;

var root = new RootCommand("claude-actors: runs Claude Code CLI sessions as supervised Akka.NET actors.")
{
    ChatCommand.Create(),
    NodeCommand.Create(),
    SessionsCommand.Create(),
    HistoryCommand.Create(),
};

var parsed = root.Parse(args);
// A mistyped option gets its error line, not a screenful of help on stdout.
if (parsed.Action is ParseErrorAction parseError) parseError.ShowHelp = false;
var invocation = new InvocationConfiguration
{
    // Each command owns Ctrl-C: the chat interrupts a reply with it, the node shuts down through its host.
    ProcessTerminationTimeout = null,
    // Errors are reported as one line below, never as a stack trace.
    EnableDefaultExceptionHandler = false,
};
try
{
    var exitCode = await parsed.InvokeAsync(invocation);
    return parsed.Action is ParseErrorAction ? ExitCodes.Usage : exitCode;
}
catch (Exception ex)
{
    Console.Error.WriteLine("error: " + OperatorConsole.Describe(ex));
    return ExitCodes.Failure;
}
