"""define.xml for the packages a run wrote: the define_xml model built from the datasets."""
