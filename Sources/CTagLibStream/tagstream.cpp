#include "tagstream.h"

#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include <taglib/fileref.h>
#include <taglib/tfilestream.h>
#include <taglib/tag.h>

namespace {
/// A malloc'd UTF-8 copy, NULL for an empty string.
char *copy(const TagLib::String &text) {
    if (text.isEmpty()) return nullptr;
    return strdup(text.toCString(true));
}
}

int tunescore_taglib_read_fd(int descriptor, tunescore_tags *tags) {
    std::memset(tags, 0, sizeof *tags);
    // FileStream closes the descriptor it is given: give it a duplicate.
    int duplicate = dup(descriptor);
    if (duplicate < 0) return 0;
    try {
        TagLib::FileStream stream(duplicate, true);
        if (!stream.isOpen()) return 0;
        stream.seek(0);
        TagLib::FileRef file(&stream);
        if (file.isNull()) return 0;
        if (TagLib::Tag *tag = file.tag()) {
            tags->title = copy(tag->title());
            tags->artist = copy(tag->artist());
            tags->album = copy(tag->album());
            tags->genre = copy(tag->genre());
            tags->year = tag->year();
            tags->track = tag->track();
        }
        if (TagLib::AudioProperties *properties = file.audioProperties()) {
            tags->length = properties->lengthInSeconds();
            tags->sample_rate = properties->sampleRate();
            tags->channels = properties->channels();
            tags->bitrate = properties->bitrate();
        }
        return 1;
    } catch (...) {
        tunescore_tags_free(tags);
        return 0;
    }
}

void tunescore_tags_free(tunescore_tags *tags) {
    free(tags->title);
    free(tags->artist);
    free(tags->album);
    free(tags->genre);
    tags->title = tags->artist = tags->album = tags->genre = nullptr;
}
