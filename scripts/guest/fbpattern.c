/*
 * fbpattern: fills a Linux framebuffer with horizontal stripes 16 rows high alternating two colours, for
 * the multi-monitor end-to-end tests (scripts/build-guest.sh builds it statically into the test guest).
 * It writes through mmap, so the DRM fbdev emulation's deferred I/O sees the pages change and flushes
 * them to the display device (plain write() on Linux 6.1's generic fbdev is not flushed).
 *
 *   fbpattern /dev/fbN R1 G1 B1 R2 G2 B2     prints "<width>x<height> stride=<bytes>"
 */
#include <fcntl.h>
#include <linux/fb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static uint32_t pixel(const struct fb_var_screeninfo *v, int r, int g, int b) {
  return ((uint32_t)r >> (8 - v->red.length)) << v->red.offset | ((uint32_t)g >> (8 - v->green.length)) << v->green.offset |
         ((uint32_t)b >> (8 - v->blue.length)) << v->blue.offset;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: fbpattern /dev/fbN R1 G1 B1 R2 G2 B2\n");
    return 2;
  }
  int fd = open(argv[1], O_RDWR);
  if (fd < 0) return perror(argv[1]), 1;
  struct fb_var_screeninfo v;
  struct fb_fix_screeninfo f;
  if (ioctl(fd, FBIOGET_VSCREENINFO, &v) || ioctl(fd, FBIOGET_FSCREENINFO, &f)) return perror("ioctl"), 1;
  if (v.bits_per_pixel != 32) return fprintf(stderr, "%u bits per pixel: only 32 is supported\n", v.bits_per_pixel), 1;
  size_t len = (size_t)f.line_length * v.yres_virtual;
  uint8_t *fb = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (fb == MAP_FAILED) return perror("mmap"), 1;
  uint32_t c[2] = {pixel(&v, atoi(argv[2]), atoi(argv[3]), atoi(argv[4])), pixel(&v, atoi(argv[5]), atoi(argv[6]), atoi(argv[7]))};
  for (unsigned y = 0; y < v.yres_virtual; y++) {
    uint32_t *row = (uint32_t *)(fb + (size_t)y * f.line_length);
    for (unsigned x = 0; x < v.xres_virtual; x++) row[x] = c[(y / 16) % 2];
  }
  msync(fb, len, MS_SYNC);
  munmap(fb, len);
  close(fd);
  printf("%ux%u stride=%u\n", v.xres, v.yres, f.line_length);
  return 0;
}
