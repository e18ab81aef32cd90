#ifndef CFFmpeg_SHIM_H
#define CFFmpeg_SHIM_H
// FFmpeg's demuxers (libavformat) and decoders (libavcodec): Ogg Vorbis and Opus, where FFmpeg's own decoders run
// 2-2.5x faster than libvorbis/libopus, and every format only FFmpeg reads here (M4A, WMA, WebM, WavPack, ...). Its error codes and "no timestamp" value are macros Swift
// cannot import, so they are wrapped here.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <errno.h>

/// AVERROR(EAGAIN): the decoder wants another packet before it returns a frame.
static inline int tunescore_av_error_again(void) { return AVERROR(EAGAIN); }
/// AVERROR_EOF: the end of the stream.
static inline int tunescore_av_error_eof(void) { return AVERROR_EOF; }
/// AV_NOPTS_VALUE: a timestamp that is not known.
static inline int64_t tunescore_av_nopts(void) { return AV_NOPTS_VALUE; }
/// Silences FFmpeg's own logging on stderr; errors reach the caller through return codes instead.
static inline void tunescore_av_quiet(void) { av_log_set_level(AV_LOG_QUIET); }
#endif
