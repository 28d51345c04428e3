using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClaudeActors.Testing;

/// <summary>
/// A fake Anthropic Messages API on <c>127.0.0.1</c> (random port) that the real <c>claude</c> CLI accepts.
/// Point the CLI at it with <c>ANTHROPIC_BASE_URL=</c><see cref="BaseUrl"/> and any <c>ANTHROPIC_API_KEY</c>.
/// </summary>
/// <remarks>
/// <para>Endpoints: <c>POST /v1/messages</c> (SSE when <c>stream: true</c>, JSON otherwise),
/// <c>POST /v1/messages/count_tokens</c> (<c>{"input_tokens": N}</c>), anything else 200 <c>{}</c>.
/// Every request is recorded in <see cref="Requests"/>.</para>
/// <para>Answer of a conversation request (<see cref="FakeApiRequest.IsConversation"/>), first match wins:
/// the next reply queued with <see cref="EnqueueReply"/>; <see cref="Responder"/> when it returns non-null;
/// the prompt directives; the default rules. Side requests (no tools) always get the short default answer
/// <see cref="SideRequestReply"/>.</para>
/// <para>Prompt directives, at the start of the last user text: <c>[slow:MS] rest</c> answers <c>rest</c> by the
/// default rules, streamed in 10 deltas MS milliseconds apart; <c>[error:STATUS]</c> answers with that HTTP error;
/// <c>[tool:NAME {json}]</c> answers with a tool_use of NAME with that input.</para>
/// <para>Default rules on the last user text (CLI-injected <c>&lt;system-reminder&gt;</c> parts ignored), using the
/// earlier user messages of the same request as memory: "My name is X" → "Nice to meet you, X.";
/// "What is my name?" → "Your name is X!" or "I don't know your name."; "Remember: the code is N" →
/// "OK, I will remember the code."; "What was the code?" → "The code is N." or "I don't know the code.";
/// "Say exactly: TEXT" → TEXT; a last user message holding a tool_result → "Tool result received: &lt;first 200
/// chars&gt;"; anything else → "Echo: &lt;text&gt;".</para>
/// </remarks>
public sealed class FakeMessagesApi : IAsyncDisposable
{
    /// <summary>The text every side request (a messages request without tools) is answered with.</summary>
    public const string SideRequestReply = "OK";

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly List<FakeApiRequest> _requests = [];
    private readonly Queue<FakeReply> _queue = new();
    private readonly List<Waiter> _waiters = [];
    private readonly CancellationTokenSource _stopping = new();
    private long _sequence = -1;
    private long _ids;
    private Func<FakeApiRequest, FakeReply?>? _responder;
    private (string Key, FakeReply Reply)? _stickyError;
    private int _disposed;

    private FakeMessagesApi(WebApplication app) => _app = app;

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234/</c>: the value for
    /// <c>ANTHROPIC_BASE_URL</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>
    /// Optional per-test override for conversation requests (called after the queued replies are used up):
    /// return a reply to answer with it, or <c>null</c> to fall back to the directives and default rules.
    /// Called on server threads; may be called concurrently. Not called for side requests.
    /// </summary>
    public Func<FakeApiRequest, FakeReply?>? Responder
    {
        get => Volatile.Read(ref _responder);
        set => Volatile.Write(ref _responder, value);
    }

    /// <summary>A snapshot of every request received so far, in arrival order.</summary>
    public IReadOnlyList<FakeApiRequest> Requests
    {
        get { lock (_gate) return _requests.ToArray(); }
    }

    /// <summary>A snapshot of the conversation requests (<see cref="FakeApiRequest.IsConversation"/>) so far.</summary>
    public IReadOnlyList<FakeApiRequest> ConversationRequests
    {
        get { lock (_gate) return _requests.Where(r => r.IsConversation).ToArray(); }
    }

    /// <summary>Starts a server on <c>127.0.0.1</c> on a free port.</summary>
    /// <param name="ct">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    public static async Task<FakeMessagesApi> StartAsync(CancellationToken ct = default)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.AddServerHeader = false;
            o.Limits.MaxRequestBodySize = null;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));

        var app = builder.Build();
        var api = new FakeMessagesApi(app);
        app.Run(api.HandleAsync);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("Kestrel did not report its bound address.");
            api.BaseUrl = new Uri(address);
            return api;
        }
        catch
        {
            await api.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Queues a reply for the next conversation request (FIFO). Side requests never consume it. A queued
    /// <see cref="FakeReplyKind.Error"/> also answers the CLI's automatic retries of the same turn (requests with
    /// the same user texts and tool results), so one queued error fails one turn.
    /// </summary>
    /// <param name="reply">The reply.</param>
    public void EnqueueReply(FakeReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        lock (_gate) _queue.Enqueue(reply);
    }

    /// <summary>The number of queued replies not yet used.</summary>
    public int PendingReplies
    {
        get { lock (_gate) return _queue.Count; }
    }

    /// <summary>Forgets the recorded requests (queued replies and <see cref="Responder"/> are kept).</summary>
    public void ClearRequests()
    {
        lock (_gate) _requests.Clear();
    }

    /// <summary>
    /// Returns the first recorded request that matches <paramref name="predicate"/> (already received or arriving
    /// later). The request is returned when it arrives, before it is answered.
    /// </summary>
    /// <param name="predicate">The condition (called under a lock; keep it cheap and side-effect free).</param>
    /// <param name="timeout">How long to wait.</param>
    /// <exception cref="TimeoutException">No matching request within <paramref name="timeout"/>.</exception>
    public async Task<FakeApiRequest> WaitForRequestAsync(Func<FakeApiRequest, bool> predicate, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Waiter waiter;
        lock (_gate)
        {
            foreach (var r in _requests)
                if (predicate(r)) return r;
            waiter = new Waiter(predicate);
            _waiters.Add(waiter);
        }

        using var cts = new CancellationTokenSource(timeout);
        await using (cts.Token.Register(() => waiter.Completion.TrySetCanceled()).ConfigureAwait(false))
        {
            try
            {
                return await waiter.Completion.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_gate) _waiters.Remove(waiter);
                var seen = string.Join("\n  ", Requests.Select(r => r.ToString()));
                throw new TimeoutException($"No matching request to the fake Messages API within {timeout}. Received:\n  {seen}");
            }
        }
    }

    /// <summary>Stops the server; running streams are cut.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync().ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var w in _waiters) w.Completion.TrySetCanceled();
            _waiters.Clear();
        }
        _stopping.Dispose();
    }

    // ---------------------------------------------------------------- request handling

    private async Task HandleAsync(HttpContext ctx)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
        var ct = linked.Token;
        try
        {
            var body = await ReadBodyAsync(ctx.Request, ct).ConfigureAwait(false);
            var request = Parse(ctx.Request, body, Interlocked.Increment(ref _sequence));
            Record(request);

            ctx.Response.Headers["request-id"] = $"req_fake_{request.Sequence:D6}";
            if (request.IsCountTokens)
            {
                await WriteJsonAsync(ctx, 200, new JsonObject { ["input_tokens"] = InputTokens(request) }, ct).ConfigureAwait(false);
                return;
            }
            if (!request.IsMessages)
            {
                await WriteJsonAsync(ctx, 200, new JsonObject(), ct).ConfigureAwait(false);
                return;
            }

            var reply = ChooseReply(request);
            request.ReplyText = reply.Describe();
            if (reply.InitialDelay > TimeSpan.Zero)
                await Task.Delay(reply.InitialDelay, ct).ConfigureAwait(false);

            if (reply.Kind == FakeReplyKind.Error)
            {
                request.StatusCode = reply.ErrorStatus;
                var error = new JsonObject
                {
                    ["type"] = "error",
                    ["error"] = new JsonObject { ["type"] = reply.ErrorType, ["message"] = reply.ErrorMessage },
                };
                await WriteJsonAsync(ctx, reply.ErrorStatus, error, ct).ConfigureAwait(false);
                return;
            }

            if (request.Stream) await StreamAsync(ctx, request, reply, ct).ConfigureAwait(false);
            else await WriteJsonAsync(ctx, 200, MessageJson(request, reply, complete: true), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsDisconnect(e, ct))
        {
            // Client went away (interrupt) or the server is stopping: nothing to report.
        }
        catch (Exception e)
        {
            // A bug here or in a Responder: answer 500 with the exception text instead of failing silently.
            // (The CLI retries 5xx: a test sees api_retry lines and finally an error result.)
            if (!ctx.Response.HasStarted)
            {
                var error = new JsonObject
                {
                    ["type"] = "error",
                    ["error"] = new JsonObject { ["type"] = "api_error", ["message"] = "FakeMessagesApi internal error: " + e },
                };
                try { await WriteJsonAsync(ctx, 500, error, CancellationToken.None).ConfigureAwait(false); }
                catch (Exception) when (ctx.RequestAborted.IsCancellationRequested) { }
            }
        }
    }

    private static bool IsDisconnect(Exception e, CancellationToken ct) =>
        e is OperationCanceledException or IOException or ObjectDisposedException
        || (ct.IsCancellationRequested && e is InvalidOperationException);

    private FakeReply ChooseReply(FakeApiRequest request)
    {
        if (!request.IsConversation) return FakeReply.Text(SideRequestReply);
        var key = TurnKey(request);
        lock (_gate)
        {
            // The CLI retries a failed request (on a 400 it retries up to 6 times, dropping beta features):
            // a queued error answers those retries of the same turn too.
            if (_stickyError is { } sticky && sticky.Key == key) return sticky.Reply;
            _stickyError = null;
            if (_queue.TryDequeue(out var queued))
            {
                if (queued.Kind == FakeReplyKind.Error) _stickyError = (key, queued);
                return queued;
            }
        }
        return Responder?.Invoke(request) ?? FakeApiText.DefaultReply(request);
    }

    private static string TurnKey(FakeApiRequest r) =>
        $"{r.UserTexts.Count}|{r.Messages.Sum(m => m.ToolResults.Count())}|{r.LastUserText}";

    private void Record(FakeApiRequest request)
    {
        List<Waiter>? matched = null;
        lock (_gate)
        {
            _requests.Add(request);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                bool hit;
                try { hit = _waiters[i].Predicate(request); }
                catch (Exception ex)
                {
                    _waiters[i].Completion.TrySetException(ex);
                    _waiters.RemoveAt(i);
                    continue;
                }
                if (!hit) continue;
                (matched ??= []).Add(_waiters[i]);
                _waiters.RemoveAt(i);
            }
        }
        if (matched is null) return;
        foreach (var w in matched) w.Completion.TrySetResult(request);
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        Stream source = request.Body;
        var encoding = request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        source = encoding switch
        {
            "gzip" => new GZipStream(source, CompressionMode.Decompress, leaveOpen: true),
            "deflate" => new ZLibStream(source, CompressionMode.Decompress, leaveOpen: true),
            "br" => new BrotliStream(source, CompressionMode.Decompress, leaveOpen: true),
            _ => source,
        };
        using var reader = new StreamReader(source, Encoding.UTF8);
        return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- parsing

    private static FakeApiRequest Parse(HttpRequest http, string body, long sequence)
    {
        var headers = http.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        JsonObject? json = null;
        if (body.Length > 0 && body.TrimStart().StartsWith('{'))
        {
            try { json = JsonNode.Parse(body) as JsonObject; }
            catch (JsonException) { }
        }

        string? model = null, system = null;
        bool stream = false;
        int? maxTokens = null;
        var messages = new List<FakeApiMessage>();
        var tools = new List<string>();
        if (json is not null)
        {
            model = AsString(json["model"]);
            stream = json["stream"] is JsonValue sv && sv.TryGetValue<bool>(out var s) && s;
            maxTokens = json["max_tokens"] is JsonValue mv && mv.TryGetValue<int>(out var mt) ? mt : null;
            system = json["system"] switch
            {
                JsonValue v when v.TryGetValue<string>(out var str) => str,
                JsonArray a => string.Join("\n", a.OfType<JsonObject>().Select(b => AsString(b["text"])).Where(t => t is not null)),
                _ => null,
            };
            if (json["messages"] is JsonArray msgs)
                foreach (var m in msgs.OfType<JsonObject>())
                    messages.Add(new FakeApiMessage(AsString(m["role"]) ?? "", ParseContent(m["content"])));
            if (json["tools"] is JsonArray ts)
                foreach (var t in ts.OfType<JsonObject>())
                    tools.Add(AsString(t["name"]) ?? AsString(t["type"]) ?? "");
        }

        return new FakeApiRequest
        {
            Sequence = sequence,
            Timestamp = DateTimeOffset.UtcNow,
            Method = http.Method,
            Path = http.Path.Value ?? "/",
            QueryString = http.QueryString.Value ?? "",
            Headers = headers,
            RawBody = body,
            Model = model,
            Stream = stream,
            MaxTokens = maxTokens,
            System = system,
            Messages = messages,
            Tools = tools,
        };
    }

    private static List<FakeApiContentBlock> ParseContent(JsonNode? content)
    {
        var blocks = new List<FakeApiContentBlock>();
        switch (content)
        {
            case JsonValue v when v.TryGetValue<string>(out var text):
                blocks.Add(new FakeApiContentBlock { Type = "text", Text = text, RawJson = new JsonObject { ["type"] = "text", ["text"] = text }.ToJsonString() });
                break;
            case JsonArray a:
                foreach (var b in a.OfType<JsonObject>())
                {
                    var type = AsString(b["type"]) ?? "";
                    blocks.Add(new FakeApiContentBlock
                    {
                        Type = type,
                        Text = type == "thinking" ? AsString(b["thinking"]) : AsString(b["text"]),
                        ToolUseId = type == "tool_result" ? AsString(b["tool_use_id"]) : AsString(b["id"]),
                        ToolName = AsString(b["name"]),
                        Input = b["input"]?.DeepClone(),
                        ToolResultText = type == "tool_result" ? ToolResultText(b["content"]) : null,
                        IsError = b["is_error"] is JsonValue e && e.TryGetValue<bool>(out var isError) && isError,
                        RawJson = b.ToJsonString(),
                    });
                }
                break;
        }
        return blocks;
    }

    private static string ToolResultText(JsonNode? content) => content switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray a => string.Join("\n", a.OfType<JsonObject>().Select(b => AsString(b["text"])).Where(t => t is not null)),
        _ => "",
    };

    private static string? AsString(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    // ---------------------------------------------------------------- writing

    private static int InputTokens(FakeApiRequest request) => Math.Max(1, request.RawBody.Length / 4);

    private static int OutputTokens(FakeReply reply) =>
        reply.OutputTokens ?? Math.Max(1, ((reply.TextContent?.Length ?? 0) + (reply.ToolInput?.ToJsonString().Length ?? 0) + (reply.ToolName?.Length ?? 0)) / 4);

    private string NewId(string prefix) => $"{prefix}{Interlocked.Increment(ref _ids):D4}{Guid.NewGuid():N}"[..(prefix.Length + 24)];

    private JsonObject Usage(FakeApiRequest request, FakeReply reply, bool complete) => new()
    {
        ["input_tokens"] = reply.InputTokens ?? InputTokens(request),
        ["cache_creation_input_tokens"] = 0,
        ["cache_read_input_tokens"] = 0,
        ["output_tokens"] = complete ? OutputTokens(reply) : 1,
    };

    private JsonObject MessageJson(FakeApiRequest request, FakeReply reply, bool complete)
    {
        var content = new JsonArray();
        if (complete)
        {
            if (reply.TextContent is { Length: > 0 } || reply.Kind == FakeReplyKind.Text)
                content.Add(new JsonObject { ["type"] = "text", ["text"] = reply.TextContent ?? "" });
            if (reply.Kind == FakeReplyKind.ToolUse)
                content.Add(new JsonObject
                {
                    ["type"] = "tool_use",
                    ["id"] = reply.ToolUseId ?? NewId("toolu_fake_"),
                    ["name"] = reply.ToolName,
                    ["input"] = reply.ToolInput?.DeepClone() ?? new JsonObject(),
                });
        }
        return new JsonObject
        {
            ["id"] = NewId("msg_fake_"),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = request.Model ?? "claude-fake",
            ["content"] = content,
            ["stop_reason"] = complete ? StopReason(reply) : null,
            ["stop_sequence"] = null,
            ["usage"] = Usage(request, reply, complete),
        };
    }

    private static string StopReason(FakeReply reply) => reply.Kind == FakeReplyKind.ToolUse ? "tool_use" : "end_turn";

    private static async Task WriteJsonAsync(HttpContext ctx, int status, JsonObject body, CancellationToken ct)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString(Compact), ct).ConfigureAwait(false);
    }

    private async Task StreamAsync(HttpContext ctx, FakeApiRequest request, FakeReply reply, CancellationToken ct)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        await ctx.Response.StartAsync(ct).ConfigureAwait(false);

        async Task Send(string type, JsonObject data)
        {
            // "type" first, as the real API writes it.
            var ordered = new JsonObject { ["type"] = type };
            foreach (var (k, v) in data.ToList())
            {
                if (k == "type") continue;
                data.Remove(k);
                ordered[k] = v;
            }
            await ctx.Response.WriteAsync($"event: {type}\ndata: {ordered.ToJsonString(Compact)}\n\n", ct).ConfigureAwait(false);
            await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
        }

        await Send("message_start", new JsonObject { ["message"] = MessageJson(request, reply, complete: false) }).ConfigureAwait(false);
        var index = 0;
        var text = reply.TextContent ?? "";
        if (reply.Kind == FakeReplyKind.Text || text.Length > 0)
        {
            await Send("content_block_start", new JsonObject
            {
                ["index"] = index,
                ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" },
            }).ConfigureAwait(false);
            var slow = reply.ChunkDelay > TimeSpan.Zero;
            var pieces = Split(text, slow ? reply.Chunks : (text.Length > 60 ? 3 : 1));
            for (var i = 0; i < pieces.Count; i++)
            {
                if (slow && i > 0) await Task.Delay(reply.ChunkDelay, ct).ConfigureAwait(false);
                await Send("content_block_delta", new JsonObject
                {
                    ["index"] = index,
                    ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = pieces[i] },
                }).ConfigureAwait(false);
            }
            await Send("content_block_stop", new JsonObject { ["index"] = index }).ConfigureAwait(false);
            index++;
        }
        if (reply.Kind == FakeReplyKind.ToolUse)
        {
            if (reply.ChunkDelay > TimeSpan.Zero && index > 0) await Task.Delay(reply.ChunkDelay, ct).ConfigureAwait(false);
            await Send("content_block_start", new JsonObject
            {
                ["index"] = index,
                ["content_block"] = new JsonObject
                {
                    ["type"] = "tool_use",
                    ["id"] = reply.ToolUseId ?? NewId("toolu_fake_"),
                    ["name"] = reply.ToolName,
                    ["input"] = new JsonObject(),
                },
            }).ConfigureAwait(false);
            var inputJson = (reply.ToolInput ?? new JsonObject()).ToJsonString(Compact);
            foreach (var piece in Split(inputJson, inputJson.Length > 10 ? 2 : 1))
            {
                await Send("content_block_delta", new JsonObject
                {
                    ["index"] = index,
                    ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = piece },
                }).ConfigureAwait(false);
            }
            await Send("content_block_stop", new JsonObject { ["index"] = index }).ConfigureAwait(false);
        }
        await Send("message_delta", new JsonObject
        {
            ["delta"] = new JsonObject { ["stop_reason"] = StopReason(reply), ["stop_sequence"] = null },
            ["usage"] = new JsonObject
            {
                ["input_tokens"] = reply.InputTokens ?? InputTokens(request),
                ["cache_creation_input_tokens"] = 0,
                ["cache_read_input_tokens"] = 0,
                ["output_tokens"] = OutputTokens(reply),
            },
        }).ConfigureAwait(false);
        await Send("message_stop", new JsonObject()).ConfigureAwait(false);
    }

    /// <summary>Splits a text into up to <paramref name="count"/> non-empty pieces without cutting surrogate pairs.</summary>
    private static List<string> Split(string text, int count)
    {
        var pieces = new List<string>();
        if (text.Length == 0) return pieces;
        count = Math.Clamp(count, 1, text.Length);
        var start = 0;
        for (var i = 1; i <= count; i++)
        {
            var end = i == count ? text.Length : (int)((long)text.Length * i / count);
            if (end < text.Length && end > 0 && char.IsHighSurrogate(text[end - 1])) end++;
            if (end <= start) continue;
            pieces.Add(text[start..end]);
            start = end;
        }
        return pieces;
    }

    private sealed class Waiter(Func<FakeApiRequest, bool> predicate)
    {
        public Func<FakeApiRequest, bool> Predicate { get; } = predicate;
        public TaskCompletionSource<FakeApiRequest> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
