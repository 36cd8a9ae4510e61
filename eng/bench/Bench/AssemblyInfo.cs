// Local infrastructure mode (what this measures) runs on Linux.
[assembly: SupportedOn("linux")]
