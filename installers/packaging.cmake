# CPack: DEB and TGZ
