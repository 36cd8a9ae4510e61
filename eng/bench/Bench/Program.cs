// Benchmarks, not tests: they print numbers. Usage:
//   Platform.Bench infrastructure [warm runs] [load seconds]   start/stop times, memory, replica lag
//   Platform.Bench services [seconds per load]                  catalog and orders throughput, pgbench ratio, memory
//   Platform.Bench gateway [seconds per load]                   gateway vs direct on a cached read, added latency, gateway CPU
//   Platform.Bench web [loads per page] [circuits]             first render and interactive times, web memory per circuit
//   Platform.Bench orders [seconds per rate] [rates...]         end to end: POST → confirmed at fixed offered rates, pgbench ratio
//   Platform.Bench all <results.json>                           all of the above, shorter, then one table of ratios, written as JSON
//   Platform.Bench readme <results.json> <README.md>            the README's benchmark table, made from that JSON
using Platform.Bench;

switch (args.FirstOrDefault())
{
    case "infrastructure":
        await InfrastructureBenchmark.RunAsync(args[1..]);
        break;
    case "services":
        await ServicesBenchmark.RunAsync(args[1..]);
        break;
    case "gateway":
        await GatewayBenchmark.RunAsync(args[1..]);
        break;
//#if (web)
    case "web":
        await WebBenchmark.RunAsync(args[1..]);
        break;
//#endif
//#if (workers)
    case "orders":
        await OrderFlowBenchmark.RunAsync(args[1..]);
        break;
//#endif
    case "all":
        await InfrastructureBenchmark.RunAsync(["2", "5"]);
        await ServicesBenchmark.RunAsync(["5"]);
        await GatewayBenchmark.RunAsync(["5"]);
//#if (workers)
        await OrderFlowBenchmark.RunAsync(["10", "50", "100", "150"]);
//#endif
        Results.Print();
        Results.Write(args[1]);
        break;
    case "readme":
        Results.UpdateReadme(args[1], args[2]);
        break;
    default:
        Console.Error.WriteLine("usage: Platform.Bench infrastructure [warm runs] [load seconds] | services [seconds per load] | gateway [seconds per load] | web [loads] [circuits] | orders [seconds per rate] [rates...] | all <results.json> | readme <results.json> <README.md>");
        return 2;
}

return 0;
