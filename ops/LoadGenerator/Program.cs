using Platform.LoadGenerator;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();   // telemetry to the dashboard; the rate set from the dashboard (Drills:SettingsFile)
builder.Services.AddOptions<LoadOptions>().BindConfiguration(LoadOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<LoadMetrics>();
builder.Services.AddSingleton<CustomerSession>(); // the demo customer's token, signed in through the gateway
builder.Services.AddHostedService<LoadLoop>();    // orders and catalog reads at LoadGenerator:OrdersPerSecond

builder.Build().Run();
