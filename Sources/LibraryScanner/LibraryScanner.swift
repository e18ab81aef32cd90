// LibraryScanner: folders -> tracks (walk, tags, decode, resample, catalog). Filled in by the music-in work.
