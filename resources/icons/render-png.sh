#!/bin/sh
# Renders pathwatch.svg's drawing to PNG with ImageMagick primitives (Debian's ImageMagick has no SVG delegate by
# default). Keep the coordinates in step with pathwatch.svg. Usage: render-png.sh SIZE OUT.png
set -eu
size=$1
out=$2
convert -size 256x256 xc:none \
    \( -size 256x256 gradient:'#26344a'-'#141c28' \) \
    \( -size 256x256 xc:none -fill white -draw 'roundrectangle 8,8 247,247 52,52' \) \
    -delete 0 -alpha off -compose CopyOpacity -composite -compose Over \
    -fill none -stroke '#5fb3f0' -strokewidth 14 -draw 'stroke-linecap round stroke-linejoin round polyline 56,178 104,110 152,150 196,84' \
    -fill '#141c28' -stroke '#e8eef6' -strokewidth 9 \
    -draw 'circle 56,178 56,195' -draw 'circle 104,110 104,127' -draw 'circle 152,150 152,167' \
    -fill none -stroke '#3ccf7a8c' -strokewidth 7 -draw 'circle 196,84 196,118' \
    -stroke none -fill '#3ccf7a' -draw 'circle 196,84 196,103' \
    -fill '#141c28' -draw 'circle 196,84 196,91' \
    -resize "${size}x${size}" -depth 8 -strip "$out"
