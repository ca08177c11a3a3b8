using Orleans.Dashboard;
using Scalar.AspNetCore;
using Voki.Api;
using Voki.Api.Auth;
using Voki.Api.Endpoints;
using Voki.Api.Infrastructure;
using Voki.Api.Mail;
using Voki.Api.Metrics;
using Voki.Api.Webhooks;
using Voki.Silo;
using Voki.Transcription;

var builder = WebApplication.CreateBuilder(args);
builder.UseVokiLogging();

var authOptions = builder.Configuration.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
var operatorOptions = builder.Configuration.GetSection("Operator").Get<OperatorOptions>() ?? new OperatorOptions();
var dashboardOptions = builder.Configuration.GetSection("Dashboard").Get<DashboardAccessOptions>() ?? new DashboardAccessOptions();
UnsafeConfigurationException.ThrowIfAny(builder.Environment, builder.Configuration, authOptions, operatorOptions, dashboardOptions);
builder.Services.AddSingleton(dashboardOptions);
builder.Services.AddSingleton<DashboardGate>();
var usingDevelopmentKey = string.IsNullOrEmpty(authOptions.SigningKey);
if (usingDevelopmentKey) authOptions.SigningKey = AuthOptions.DevelopmentSigningKey;
var usingDevelopmentOperatorToken = string.IsNullOrEmpty(operatorOptions.Token) && builder.Environment.IsDevelopment();
if (usingDevelopmentOperatorToken) operatorOptions.Token = OperatorOptions.DevelopmentToken;
builder.Services.Configure<AuthOptions>(o =>
{
    builder.Configuration.GetSection("Auth").Bind(o);
    o.SigningKey = authOptions.SigningKey;
});
builder.Services.Configure<OperatorOptions>(o => o.Token = operatorOptions.Token);

builder.Services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
builder.Services.AddVokiData(builder.Configuration);
builder.Services.AddVokiMedia(builder.Configuration);
builder.Services.AddVokiTranscription(builder.Configuration);
builder.Services.AddHttpClient(RecordingProxy.ClientName);
builder.Services.AddSingleton<RecordingAudit>();
builder.Services.AddSingleton<CallViews>();
builder.Services.AddSingleton<ProxiedDownloadProof>();
builder.Services.AddSingleton(builder.Configuration.GetSection("Analytics").Get<AnalyticsOptions>() ?? new AnalyticsOptions());
builder.Services.AddHostedService<AnalyticsViewRefresher>();
builder.Services.AddVokiAuth(authOptions);
builder.Services.AddVokiRateLimits(builder.Configuration);
builder.Services.Configure<SmtpOptions>(builder.Configuration.GetSection("Smtp"));
builder.Services.AddSingleton<SmtpMailer>();
builder.Services.AddSingleton<PasswordResetMails>();
builder.Services.AddHostedService(services => services.GetRequiredService<PasswordResetMails>());
builder.Services.AddVokiHealthChecks();
builder.Services.AddVokiRealtime(builder.Configuration);
builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
{
    document.Info.Title = "Voki API";
    document.Info.Version = "v4.0";
    document.Info.Description = ApiDescription.Text + Voki.Api.Realtime.RealtimeDescription.Text;
    return Task.CompletedTask;
}));
// Registered before the silo so the schema exists before Orleans opens its tables.
builder.Services.AddHostedService<MigrationService>();
builder.Services.AddVokiWebhooks(builder.Configuration);
// After media and transcription: it wraps their composer and transcriber to time them.
builder.Services.AddVokiMetrics(builder.Configuration);
builder.UseVokiSilo();

var app = builder.Build();
if (usingDevelopmentKey)
    app.Logger.LogWarning("Auth:SigningKey is not set: using the DEVELOPMENT signing key \"{Key}\" (refused outside Development).",
        AuthOptions.DevelopmentSigningKey);
if (usingDevelopmentOperatorToken)
    app.Logger.LogWarning("Operator:Token is not set: the operator API takes the DEVELOPMENT token \"{Token}\" (refused outside Development).",
        OperatorOptions.DevelopmentToken);

if (app.Configuration["Smtp:Host"] is { Length: > 0 })
{
    if (!app.Services.GetRequiredService<SmtpMailer>().IsConfigured)
        app.Logger.LogWarning("Smtp:Host is set but Smtp:From is not a valid address: no password reset mail can be sent.");
    else if (!app.Environment.IsDevelopment() && app.Configuration["PublicBaseUrl"] is not { Length: > 0 })
        app.Logger.LogWarning("Smtp:Host is set but PublicBaseUrl is not: no password reset mail is sent, since its link is never built from a request's Host header.");
}

// First, so everything after it (rate limits, URLs, logs) sees the client's address and scheme, not the proxy's.
var proxies = TrustedProxies.From(app.Configuration);
if (proxies.Any) app.UseForwardedHeaders(proxies.Options());
app.UseMiddleware<ErrorHandling>();
app.UseStatusCodePages(ErrorHandling.WriteBodylessStatus);
// Public assets are served before routing: every routed request then meets the deny-by-default policy.
app.UseVokiStaticFiles();
app.UseRouting();
app.UseMiddleware<CallLogScopes>();
app.UseMiddleware<RecordingRefusalAudit>();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseMiddleware<QueryWithoutNul>();
app.UseWebSockets();

app.MapOpenApi("/openapi/v1.json").AllowAnonymous();
app.MapScalarApiReference("/docs", o => o.WithTitle("Voki API").WithOpenApiRoutePattern("/openapi/v1.json")).AllowAnonymous();
// The dashboard shows any grain's state in any tenant (/dashboard/GrainState): outside Development it is served only
// behind the operator's own credential (Dashboard:User and Dashboard:PasswordHash, deploy/README.md), never a tenant's token.
if (dashboardOptions.Served(app.Environment))
    app.MapOrleansDashboard(routePrefix: "/dashboard").AllowAnonymous().WithMalformedAddressesAsBadRequest().BehindOperatorCredential();
app.MapHealthEndpoints();
app.MapVokiMetrics();
app.MapSignupEndpoints();
app.MapAuthEndpoints();
app.MapCompanyEndpoints();
app.MapUserEndpoints();
app.MapPasswordEndpoints();
app.MapDepartmentEndpoints();
app.MapSectorEndpoints();
app.MapTagEndpoints();
app.MapAccessLinkEndpoints();
app.MapWidgetEndpoints();
app.MapCallEndpoints();
app.MapCallTagEndpoints();
app.MapCallQualityEndpoints();
app.MapCustomerEndpoints();
app.MapExportEndpoints();
app.MapAnalyticsEndpoints();
app.MapWebhookEndpoints();
app.MapTurnEndpoints();
app.MapRealtimeEndpoints();
app.MapPageEndpoints();
if (operatorOptions.Token.Length > 0) app.MapOperatorEndpoints();

app.Run();

public partial class Program;
