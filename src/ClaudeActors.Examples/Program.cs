using Akka.Actor;
using Akka.Hosting;
using ClaudeActors.Core;
using ClaudeActors.Client;
using ClaudeActors.Examples;
using ClaudeActors.Hosting;
using ClaudeActors.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The README's "Embedding in an Akka.Hosting app": sessions declared in configuration (section "ClaudeActors")
// or in code start with the host; IClaudeSessions reaches them by name; our own actor Tells one.
// Needs ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL of a fake API) and the claude CLI.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddAkka("my-service", (akka, sp) => akka
    // Akka's log events to the host's ILoggerFactory, with each session's name and id as a logging scope.
    .ConfigureLoggers(loggers =>
    {
        loggers.ClearLoggers();
        loggers.AddScopedLoggerFactory();
    })
    .WithClaudeSessions(builder.Configuration.GetSection(ClaudeSessionsOptions.SectionName), options =>
        options.Sessions.Add(new() { Name = "assistant", SystemPrompt = "General helper" })));
builder.Services.AddClaudeSessionsClient();
using var host = builder.Build();
await host.StartAsync();

var sessions = host.Services.GetRequiredService<IClaudeSessions>();
var assistant = await sessions.GetAsync("assistant");
await assistant.WaitUntilReadyAsync(TimeSpan.FromMinutes(1));

// Plain .NET code: a final text.
Console.WriteLine(await assistant.FinalTextAsync("My name is Alice"));

// An actor of the service: Tell, streamed replies, one terminal message.
var system = host.Services.GetRequiredService<ActorSystem>();
var user = system.ActorOf(SessionUserActor.Props(assistant.Actor), "assistant-user");
var answer = await user.Ask<SessionUserActor.Answered>(new SessionUserActor.Ask("What is my name?"), TimeSpan.FromMinutes(5));
Console.WriteLine($"{answer.Text} ({answer.StreamedMessages} messages streamed)");

await host.StopAsync(); // CoordinatedShutdown stops every session; no CLI process is left.
