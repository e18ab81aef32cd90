#!/usr/bin/env bash
# Prints FFTW wisdom for single-precision real-to-complex transforms of the given sizes (default 2048), planned
# with FFTW_PATIENT on this machine. Sources/Features/RealFFT.swift embeds its output, so every run uses the same
# (fast) plan instead of timing plans again, which could pick a different algorithm and round differently.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/wisdom.c" <<'C'
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        int n = atoi(argv[i]);
        float *in = fftwf_alloc_real(n);
        fftwf_complex *out = fftwf_alloc_complex(n / 2 + 1);
        fftwf_destroy_plan(fftwf_plan_dft_r2c_1d(n, in, out, FFTW_PATIENT));
        fftwf_free(in);
        fftwf_free(out);
    }
    fputs(fftwf_export_wisdom_to_string(), stdout);
    return 0;
}
C
gcc -O2 "$work/wisdom.c" -lfftw3f -o "$work/wisdom"
if [ $# -eq 0 ]; then set -- 2048; fi
"$work/wisdom" "$@"
