# Writes OUT/rose.ppm (ImageMagick's built-in 70x46 photograph) and
# OUT/rose_gray.pgm (its grayscale version) with the ImageMagick program MAGICK.
file(MAKE_DIRECTORY "${OUT}")
foreach(args "rose:;${OUT}/rose.ppm" "rose:;-colorspace;gray;${OUT}/rose_gray.pgm")
  execute_process(COMMAND "${MAGICK}" ${args} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${MAGICK} ${args} failed")
  endif()
endforeach()
