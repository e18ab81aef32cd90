import ArgumentParser

@main
struct Tunescore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Learns your taste from music you like and ranks new music by fit.")
}
