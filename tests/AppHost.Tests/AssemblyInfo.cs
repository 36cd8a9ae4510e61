// Local infrastructure mode (and so these tests) runs on Linux.
[assembly: SupportedOn("linux")]
