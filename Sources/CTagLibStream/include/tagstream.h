#ifndef CTagLibStream_H
#define CTagLibStream_H
// TagLib's C++ API over a file tunescore already opened (TagLib 1.13's C API opens files by path only).

#ifdef __cplusplus
extern "C" {
#endif

/// What TagLib read: UTF-8 strings (NULL when absent; free with tunescore_tags_free), 0 for absent numbers.
typedef struct {
    char *title, *artist, *album, *genre;
    unsigned int year, track;
    int length, sample_rate, channels, bitrate;
} tunescore_tags;

/// Reads the tags of the open file `descriptor` (a duplicate of it, so the caller's stays open; the format is
/// recognised from the content). Returns 1 when TagLib parsed the file, 0 when it cannot.
int tunescore_taglib_read_fd(int descriptor, tunescore_tags *tags);

/// Frees the strings of `tags`.
void tunescore_tags_free(tunescore_tags *tags);

#ifdef __cplusplus
}
#endif
#endif
