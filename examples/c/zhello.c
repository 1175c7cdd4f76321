/* zhello: compresses a message with zlib, restores it and prints a report.
 * The xx-rs "c" example: a C program with a target library (zlib). */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int main(void) {
    const char *message = "hello from xx-rs, compressed and restored by zlib";
    unsigned char packed[256];
    unsigned char restored[256];
    uLongf packed_len = sizeof packed;
    uLongf restored_len = sizeof restored;

    if (compress(packed, &packed_len, (const Bytef *)message, strlen(message) + 1) != Z_OK) {
        fprintf(stderr, "zhello: compress failed\n");
        return 1;
    }
    if (uncompress(restored, &restored_len, packed, packed_len) != Z_OK ||
        strcmp((const char *)restored, message) != 0) {
        fprintf(stderr, "zhello: uncompress failed\n");
        return 1;
    }
    printf("zlib %s: %s (crc32 %08lx)\n", zlibVersion(), (const char *)restored,
           crc32(0L, (const Bytef *)message, (uInt)strlen(message)));
    return 0;
}
