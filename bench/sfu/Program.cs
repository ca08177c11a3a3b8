using Voki.Bench.Sfu;

// bench/sfu: load on our SFU (or Janus) with client-mode peers built on Voki.Media.
//   serve --http PORT                      an SFU node with HTTP signalling (what the load drives)
//   load  --target URL --rooms R --participants N --seconds S [--clip clip.ivf] [--server-pid PID]
//   janus --janus URL --rooms R --participants N --seconds S [--clip clip.ivf] [--server-pid PID]
return args.FirstOrDefault() switch
{
    "serve" => await SfuServer.RunAsync(Options.Parse(args[1..])),
    "load" => await LoadGenerator.RunAsync(Options.Parse(args[1..])),
    "janus" => await JanusLoad.RunAsync(Options.Parse(args[1..])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: serve --http PORT | load --target URL --rooms R --participants N --seconds S [--clip FILE] [--janus URL]");
    return 2;
}
